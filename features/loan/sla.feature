Feature: A dossier waiting too long at the commune is escalated, never lost
  The commune has 5 working days; when they pass, the task is flagged overdue and the group is notified.

  Background:
    Given these people work on loan dossiers:
      | username     | full name     | groups  | unit  |
      | an.police    | Nguyễn Văn An | police  | 10001 |
      | binh.commune | Lê Thị Bình   | commune | 10001 |

  Scenario: Five working days pass without a confirmation
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    Then the commune task is due 5 working days later
    When the timer sweep runs 6 working days later
    Then the commune task is flagged overdue and the commune group of 10001 is notified
    And "binh.commune" sees the task "confirm_at_commune" in the group queue
    When "binh.commune" confirms the dossier
    Then the audit chain verifies
