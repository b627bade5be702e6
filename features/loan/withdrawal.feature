Feature: The officer withdraws a dossier
  A borrower may change their mind; the officer who opened the dossier withdraws it with a reason.

  Background:
    Given these people work on loan dossiers:
      | username     | full name     | groups  | unit  |
      | an.police    | Nguyễn Văn An | police  | 10001 |
      | hoa.police   | Bùi Thị Hoa   | police  | 10001 |
      | binh.commune | Lê Thị Bình   | commune | 10001 |

  Scenario: The borrower found a job and no longer needs the loan
    Given "an.police" has opened a loan dossier
    When "an.police" withdraws the dossier because "Người vay đã có việc làm ổn định"
    Then the case is "completed" with outcome "withdrawn"
    And "an.police" has nothing waiting

  Scenario: A dossier waiting at the commune is withdrawn
    Given "an.police" has opened a loan dossier
    And "an.police" submits the dossier of "Trần Văn Bình" asking 60.000.000 VND for 24 months
    When "an.police" withdraws the dossier because "Người vay chuyển nơi cư trú"
    Then the case is "cancelled" with outcome "withdrawn"
    And "binh.commune" has nothing waiting

  Scenario: Another officer cannot withdraw a colleague's dossier
    Given "an.police" has opened a loan dossier
    When "hoa.police" tries to withdraw the dossier
    Then the attempt is refused as not allowed
