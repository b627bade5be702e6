Feature: Only the right authority signs, and decision numbers never repeat or skip

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

  Scenario: The chairman cannot sign a Giấy khen of the police director
    Given a nomination of "Trần Thị Hạnh" for the Giấy khen of the police director is waiting for signature
    When "nam.chutich" tries to sign the decision
    Then the attempt is refused as not allowed
    And "nam.chutich" has nothing waiting
    When "phuc.giamdoc" signs the decision as "thua_lenh" for "Chánh Văn phòng"
    Then the decision is numbered "1/QĐ-CAT" and dated today

  Scenario: The police director cannot sign a Bằng khen of the provincial chairman
    Given a nomination of "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman is waiting for signature
    When "phuc.giamdoc" tries to sign the decision
    Then the attempt is refused as not allowed
    When "nam.chutich" signs the decision in person
    Then the decision is numbered "1/QĐ-UBND" and dated today

  Scenario: Two decisions signed at the same moment receive consecutive numbers
    Given nominations of "Nguyễn Văn Tâm" and "Lê Văn Quang" for the Bằng khen of the provincial chairman are waiting for signature
    When "nam.chutich" signs both decisions at the same moment
    Then the two decisions are numbered "1/QĐ-UBND" and "2/QĐ-UBND"

  Scenario: Refusing to sign takes no number from the book
    Given nominations of "Nguyễn Văn Tâm" and "Lê Văn Quang" for the Bằng khen of the provincial chairman are waiting for signature
    When "nam.chutich" refuses to sign the first saying "Chưa đủ tiêu chuẩn"
    And "nam.chutich" signs the second decision
    Then the second decision is numbered "1/QĐ-UBND"
