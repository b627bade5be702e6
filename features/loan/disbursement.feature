Feature: A loan dossier goes from the commune police to disbursement
  Commune police compile the dossier of a person who completed a prison sentence, the commune People's
  Committee confirms it, the Bank for Social Policies appraises it and another bank officer disburses.

  Background:
    Given these people work on loan dossiers:
      | username       | full name      | groups                      | unit  |
      | an.police      | Nguyễn Văn An  | police                      | 10001 |
      | binh.commune   | Lê Thị Bình    | commune                     | 10001 |
      | dung.appraiser | Hoàng Thị Dung | bank_appraiser              |       |
      | em.teller      | Võ Văn Em      | bank_teller                 |       |

  Scenario: Trần Văn Bình receives 60,000,000 VND to open a motorbike repair shop
    Given "an.police" has opened a loan dossier
    When "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    Then "binh.commune" sees the task "confirm_at_commune" in the group queue
    When "binh.commune" confirms the dossier
    And "dung.appraiser" approves 60.000.000 VND for 24 months
    Then the appraisal showed the interest rate in force
    When "em.teller" disburses 60.000.000 VND to loan account "7600112233"
    Then the case is "completed" with outcome "disbursed"
    And the case history lists "case_started, task_completed, task_completed, task_completed, task_completed"
    And the audit chain verifies
