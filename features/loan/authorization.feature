Feature: Tasks go only to the right group, unit and person
  A commune task belongs to the borrower's commune; the teller who disburses is never the appraiser.

  Background:
    Given these people work on loan dossiers:
      | username       | full name      | groups                     | unit  |
      | an.police      | Nguyễn Văn An  | police                     | 10001 |
      | binh.commune   | Lê Thị Bình    | commune                    | 10001 |
      | cuong.commune  | Phạm Văn Cường | commune                    | 10002 |
      | giang.bank     | Đỗ Thị Giang   | bank_appraiser,bank_teller |       |
      | em.teller      | Võ Văn Em      | bank_teller                |       |

  Scenario: An officer of another commune neither sees nor completes the task
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    Then "cuong.commune" has nothing waiting
    And "cuong.commune" cannot see the case
    When "cuong.commune" tries to confirm the dossier
    Then the attempt is refused as not allowed
    And "binh.commune" sees the task "confirm_at_commune" in the group queue

  Scenario: The appraiser cannot disburse the loan they approved
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    And "binh.commune" confirms the dossier
    And "giang.bank" approves 60.000.000 VND for 24 months
    Then "giang.bank" has nothing waiting
    When "giang.bank" tries to disburse the loan
    Then the attempt is refused as not allowed
    And "em.teller" sees the task "disburse_loan" in the group queue

  Scenario: Two commune officers submit the same confirmation at the same moment
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    And a second commune officer "chi.commune" of commune 10001
    When "binh.commune" and "chi.commune" confirm the dossier at the same moment
    Then one confirmation succeeds and the other is told who completed it and when
