Feature: The commune returns a dossier for supplement, at most three times
  A returned dossier goes back to the officer who compiled it; the fourth return ends it as rejected.

  Background:
    Given these people work on loan dossiers:
      | username       | full name      | groups         | unit  |
      | an.police      | Nguyễn Văn An  | police         | 10001 |
      | binh.commune   | Lê Thị Bình    | commune        | 10001 |
      | dung.appraiser | Hoàng Thị Dung | bank_appraiser |       |

  Scenario: A dossier returned for a missing list reference is supplemented and confirmed
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    When "binh.commune" returns the dossier saying "Thiếu số danh sách Mẫu 01 đã xác nhận"
    Then "an.police" sees the task "compile_dossier" in their own inbox
    When "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    And "binh.commune" confirms the dossier
    Then "dung.appraiser" sees the task "appraise_loan" in the group queue

  Scenario: The fourth return ends the dossier as rejected
    Given "an.police" has opened a loan dossier
    And the dossier of "Trần Văn Bình" has been returned 3 times by "binh.commune"
    When "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    And "binh.commune" returns the dossier saying "Hồ sơ vẫn chưa đầy đủ"
    Then the case is "completed" with outcome "rejected"
    And "an.police" has nothing waiting
