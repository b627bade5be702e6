Feature: A nomination that breaks the rules is refused before anyone else sees it, or sent back to be fixed

  Background:
    Given these people work on award nominations:
      | username     | full name      | groups             | unit |
      | giang.unit   | Đỗ Thị Giang   | unit_head          |      |
      | hai.noivu    | Trịnh Văn Hải  | home_affairs       |      |
      | lam.hoidong  | Đặng Văn Lâm   | provincial_council |      |
      | nam.chutich  | Trương Văn Nam | chairman           |      |

  Scenario: A nominee under disciplinary review is refused, by name, and nothing is opened
    When "giang.unit" tries to nominate for the Bằng khen of the provincial chairman:
      | kind       | name              | position          | work unit         | achievement                     | under discipline |
      | collective | Công an xã Hòa An |                   | Công an tỉnh      | Giúp 12 người chấp hành xong án | no               |
      | individual | Vũ Văn Lộc        | Trưởng thôn       | xã Nam Hải        | Hỗ trợ một người tìm việc làm   | yes              |
    Then the nomination is refused at "nominees.1.under_discipline_or_investigation" with a message naming "Vũ Văn Lộc"
    And no nomination has been opened

  Scenario: The same achievement cannot be nominated twice for the same award in the same year
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    When "giang.unit" tries to nominate "Nguyễn Văn Tâm" again for the Bằng khen of the provincial chairman
    Then the nomination is refused at "nominees.0.name" with a message naming the first case
    When "giang.unit" nominates "Nguyễn Văn Tâm" for the Giấy khen of the police director
    Then "giang.unit" has 2 nominations running

  Scenario: An awarded achievement stays taken; a rejected one may be nominated again
    Given a nomination of "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman has been awarded
    And a nomination of "Lê Văn Quang" for the Bằng khen of the provincial chairman has been rejected
    When "giang.unit" tries to nominate "Nguyễn Văn Tâm" again for the Bằng khen of the provincial chairman
    Then the nomination is refused at "nominees.0.name" with a message naming the first case
    When "giang.unit" nominates "Lê Văn Quang" for the Bằng khen of the provincial chairman
    Then "giang.unit" has 1 nominations running

  Scenario: A dossier returned for a missing document is corrected and resubmitted
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    When "hai.noivu" returns the nomination saying "Thiếu biên bản họp Hội đồng cơ sở"
    Then "giang.unit" sees the task "nominate" in their own inbox
    When "giang.unit" resubmits the nomination with council minutes "07/BB-HĐTĐKT"
    Then "hai.noivu" sees the task "appraise_dossier" in the group queue
    And the case shows the nomination was returned 1 time

  Scenario: A nomination returned more often than allowed is not awarded
    Given "giang.unit" has nominated "Nguyễn Văn Tâm" for the Bằng khen of the provincial chairman
    And "hai.noivu" has returned the nomination 3 times and "giang.unit" resubmitted it each time
    When "hai.noivu" returns the nomination saying "Vẫn thiếu xác nhận thành tích"
    Then the case ends "rejected"
    And "giang.unit" has nothing waiting
