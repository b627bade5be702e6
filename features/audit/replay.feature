Feature: The inspector replays a case step by step and can tell when its record was altered
  Thanh tra reads every case of the province, replays it from its audit log on the process version it
  ran on, and sees at each step what was submitted, what changed and why the case went where it went.

  Background:
    Given these people work on loan dossiers:
      | username  | full name       | groups         | unit  |
      | an.police | Nguyễn Văn An   | police         | 10001 |
      | binh.ubnd | Lê Thị Bình     | commune        | 10001 |
      | hanh.bank | Đỗ Thị Hạnh     | bank_appraiser |       |
      | tuan.bank | Hoàng Minh Tuấn | bank_teller    |       |
      | quynh.tt  | Chu Thị Quỳnh   | auditor        |       |

  Scenario: A dossier returned three times and then disbursed replays exactly
    Given the dossier of "Trần Văn Bình" was returned 3 times by "binh.ubnd" and then disbursed
    When "quynh.tt" replays the case
    Then every step of the replay matches the state recorded at that step
    And at step 3 the case waits for "compile_dossier" after the commune wrote "Bổ sung lần 1"
    And at step 3 the return count is 1 and the requested amount 60.000.000 VND

  Scenario: The inspector sees why the dossier went back to the officer
    Given the dossier of "Trần Văn Bình" was returned 1 times by "binh.ubnd" and then disbursed
    When "quynh.tt" reads the history of the case
    Then step 3 explains that "Ý kiến của UBND xã?" went to "Đếm số lần trả lại" because no condition held for decision "return"
    And step 2 shows the eligibility table read the requested amount 60.000.000 VND

  Scenario: An audit row edited in the database breaks both the chain and the replay at that row
    Given the dossier of "Trần Văn Bình" was returned 1 times by "binh.ubnd" and then disbursed
    When someone rewrites the commune's comment in audit event 3 directly in the database
    Then "reentry audit verify" fails naming audit event 3 of the case
    And the replay of the case stops matching at step 3

  Scenario: The inspector reads everything and changes nothing
    Given "an.police" has opened a loan dossier for "Trần Văn Bình" that waits at the commune
    When "quynh.tt" tries to confirm the dossier
    Then the attempt is refused as not allowed
    And "quynh.tt" has nothing waiting
    But "quynh.tt" can read the case
