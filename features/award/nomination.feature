Feature: A unit head's nomination goes from the inbox to a signed, numbered decision
  The award form chosen on the nomination decides who appraises, who votes and who signs: Sở Nội vụ, the
  provincial council and the chairman for a Bằng khen; the police emulation office, the police council and
  the director for a Giấy khen. Bonuses follow the base salary in force on the day of the decision.

  Background:
    Given these people work on award nominations:
      | username      | full name      | groups             | unit |
      | giang.unit    | Đỗ Thị Giang   | unit_head          |      |
      | hai.noivu     | Trịnh Văn Hải  | home_affairs       |      |
      | lam.hoidong   | Đặng Văn Lâm   | provincial_council |      |
      | nam.chutich   | Trương Văn Nam | chairman           |      |
      | khanh.thidua  | Mai Thị Khánh  | police_emulation   |      |
      | minh.hoidong  | Lý Thị Minh    | police_council     |      |
      | phuc.giamdoc  | Hồ Văn Phúc    | police_director    |      |

  Scenario: The chairman's Bằng khen for a commune police station and its chief
    When "giang.unit" nominates for the Bằng khen of the provincial chairman:
      | kind       | name              | position          | work unit         | achievement                                  |
      | collective | Công an xã Hòa An |                   | Công an tỉnh      | Giúp 12 người chấp hành xong án có việc làm  |
      | individual | Nguyễn Văn Tâm    | Trưởng Công an xã | Công an xã Hòa An | Giúp đỡ 5 người tái hòa nhập cộng đồng       |
    Then "hai.noivu" sees the task "appraise_dossier" in the group queue
    And "khanh.thidua" has nothing waiting
    When "hai.noivu" accepts every nominee
    Then "lam.hoidong" sees the task "council_vote" in the group queue
    When "lam.hoidong" records the council vote with 7 of 9 members present and votes 7, 6
    Then "nam.chutich" sees the task "sign_decision" in the group queue
    When "nam.chutich" signs the decision as "ky_thay" for "Phó Chủ tịch"
    Then the decision is numbered "1/QĐ-UBND" and dated today
    And the recipients and their bonuses are:
      | name              | bonus     |
      | Công an xã Hòa An | 7.020.000 |
      | Nguyễn Văn Tâm    | 3.510.000 |
    And the total bonus is 10.530.000 VND
    When "hai.noivu" hands over the certificates today
    Then the case ends "awarded"
    And the audit chain verifies

  Scenario: The police director's Giấy khen for a women's union chair and a youth union
    When "giang.unit" nominates for the Giấy khen of the police director:
      | kind       | name                        | position               | work unit    | achievement                          |
      | individual | Trần Thị Hạnh               | Chủ tịch Hội Phụ nữ xã | xã Bình Minh | Vận động vốn vay cho 7 người         |
      | collective | Đoàn Thanh niên xã Bình Minh |                        | xã Bình Minh | Mô hình Thắp sáng ước mơ hoàn lương  |
    Then "khanh.thidua" sees the task "appraise_dossier" in the group queue
    And "hai.noivu" has nothing waiting
    When "khanh.thidua" accepts every nominee
    And "minh.hoidong" records the council vote with 6 of 7 members present and votes 6, 5
    And "phuc.giamdoc" signs the decision in person
    Then the decision is numbered "1/QĐ-CAT" and dated today
    And the recipients and their bonuses are:
      | name                         | bonus     |
      | Trần Thị Hạnh                | 702.000   |
      | Đoàn Thanh niên xã Bình Minh | 1.404.000 |
    When "khanh.thidua" hands over the certificates today
    Then the case ends "awarded"

  Scenario: Of a batch of five, only the three the council passes reach the decision
    When "giang.unit" nominates for the Bằng khen of the provincial chairman:
      | kind       | name                         | position           | work unit          | achievement                            |
      | collective | Công an xã Hòa An            |                    | Công an tỉnh       | Giúp 12 người chấp hành xong án        |
      | collective | Hợp tác xã Dệt may Phú Thịnh |                    | xã Phú Thịnh       | Nhận 9 người chấp hành xong án vào làm |
      | individual | Nguyễn Văn Tâm               | Trưởng Công an xã  | Công an xã Hòa An  | Giúp đỡ 5 người tái hòa nhập           |
      | individual | Lê Văn Quang                 | Phó Trưởng Công an | Công an xã Tân Lập | Lập 14 hồ sơ vay vốn đúng hạn          |
      | individual | Phạm Thị Thu                 | Cán bộ Công an xã  | Công an xã Đông Hòa | Giúp đỡ 6 người sau đặc xá            |
    And "hai.noivu" accepts every nominee
    And "lam.hoidong" records the council vote with 7 of 9 members present and votes 7, 6, 5, 4, 2
    Then "Lê Văn Quang" and "Phạm Thị Thu" did not pass the council vote
    When "nam.chutich" signs the decision in person
    Then the recipients and their bonuses are:
      | name                         | bonus     |
      | Công an xã Hòa An            | 7.020.000 |
      | Hợp tác xã Dệt may Phú Thịnh | 7.020.000 |
      | Nguyễn Văn Tâm               | 3.510.000 |

  Scenario: A council meeting without quorum decides nothing
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    And "hai.noivu" accepts every nominee
    When "lam.hoidong" records the council vote with 5 of 9 members present and votes 5
    Then "lam.hoidong" sees the task "council_vote" in the group queue
    And "nam.chutich" has nothing waiting
    When "lam.hoidong" records the council vote with 8 of 9 members present and votes 8
    Then "nam.chutich" sees the task "sign_decision" in the group queue

  Scenario: A council that never reaches quorum ends the nomination
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    And "hai.noivu" accepts every nominee
    When "lam.hoidong" records 3 meetings in a row with 5 of 9 members present
    Then the case ends "not_approved"

  Scenario: Nobody passes the council vote
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    And "hai.noivu" accepts every nominee
    When "lam.hoidong" records the council vote with 9 of 9 members present and votes 4
    Then the case ends "not_approved"
    And "nam.chutich" has nothing waiting

  Scenario: The appraising office excludes a nominee, with its reason
    When "giang.unit" nominates for the Bằng khen of the provincial chairman:
      | kind       | name              | position          | work unit         | achievement                       |
      | collective | Công an xã Hòa An |                   | Công an tỉnh      | Giúp 12 người chấp hành xong án   |
      | individual | Nguyễn Văn Tâm    | Trưởng Công an xã | Công an xã Hòa An | Giúp đỡ 5 người tái hòa nhập      |
    And "hai.noivu" excludes "Nguyễn Văn Tâm" saying "Thành tích chưa được xác nhận" and accepts the others
    Then the council votes only on "Công an xã Hòa An"

  Scenario: The appraising office rejects the nomination
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    When "hai.noivu" rejects the nomination saying "Không thuộc đối tượng khen thưởng"
    Then the case ends "rejected"
