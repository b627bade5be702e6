Feature: An administrator deploys a new version without disturbing running cases
  A broken diagram is refused with the file, line and element; the running version keeps working.

  Background:
    Given these people work on loan dossiers:
      | username     | full name     | groups  | unit  |
      | an.police    | Nguyễn Văn An | police  | 10001 |
      | binh.commune | Lê Thị Bình   | commune | 10001 |

  Scenario: A diagram with a gateway lacking its default flow is refused
    Given "an.police" has opened a loan dossier
    When the administrator deploys a loan diagram whose gateway "gw_commune" has no default flow
    Then the deployment is refused naming "loan_dossier.bpmn", a line number and "gw_commune"
    And the loan process is still at version 1
    When "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    Then "binh.commune" sees the task "confirm_at_commune" in the group queue

  Scenario: A new version serves new cases while a running case keeps its own
    Given "an.police" has opened a loan dossier
    When the administrator deploys a loan diagram with a renamed first task
    Then the loan process is at version 2
    And the running case is still pinned to version 1
    When "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    Then "binh.commune" sees the task "confirm_at_commune" in the group queue
