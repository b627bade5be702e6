Feature: The eligibility check of Decision 22/2023/QĐ-TTg explains why a dossier cannot go on
  The decision table sends an ineligible dossier back to the officer with the reason codes of the law.

  Background:
    Given these people work on loan dossiers:
      | username     | full name     | groups  | unit  |
      | an.police    | Nguyễn Văn An | police  | 10001 |
      | binh.commune | Lê Thị Bình   | commune | 10001 |

  Scenario: Asking 150,000,000 VND is over the 100,000,000 VND limit
    Given "an.police" has opened a loan dossier
    When "an.police" submits the dossier of "Trần Văn Bình" asking 150.000.000 VND for 24 months
    Then the dossier is back with "an.police" showing reason codes "R6"
    And "binh.commune" has nothing waiting

  Scenario: A sentence completed six years ago is outside the five-year window
    Given "an.police" has opened a loan dossier
    When "an.police" submits the dossier of "Trần Văn Bình" released 6 years ago
    Then the dossier is back with "an.police" showing reason codes "R3"

  Scenario: The officer corrects the amount and the dossier goes on to the commune
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 150.000.000 VND for 24 months
    When "an.police" submits the dossier of "Trần Văn Bình" asking 90.000.000 VND for 24 months
    Then "binh.commune" sees the task "confirm_at_commune" in the group queue
