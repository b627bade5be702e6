Feature: The audit chain shows any change made behind the application's back
  Every command appends a hash-chained event; `reentry audit verify` names the first altered one.

  Background:
    Given these people work on loan dossiers:
      | username     | full name     | groups  | unit  |
      | an.police    | Nguyễn Văn An | police  | 10001 |
      | binh.commune | Lê Thị Bình   | commune | 10001 |

  Scenario: Someone edits the requested amount in an audit row
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    And "binh.commune" confirms the dossier
    And "reentry audit verify" succeeds
    When someone changes the requested amount in audit event 2 directly in the database
    Then "reentry audit verify" fails naming audit event 2 of the case
