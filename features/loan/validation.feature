Feature: Bad input is refused with a clear message and nothing is written
  Every field is checked against the law's formats before the case moves, in Vietnamese by default.

  Background:
    Given these people work on loan dossiers:
      | username  | full name     | groups | unit  |
      | an.police | Nguyễn Văn An | police | 10001 |

  Scenario: A citizen id of 11 digits is refused
    Given "an.police" has opened a loan dossier
    When "an.police" submits the dossier with citizen id "00108800432"
    Then the field "national_id_number" is refused with "Số định danh cá nhân phải gồm 12 chữ số"
    And nothing was written to the case

  Scenario: A citizen id that does not match the year of birth is refused
    Given "an.police" has opened a loan dossier
    When "an.police" submits the dossier with citizen id "001095004321"
    Then the field "national_id_number" is refused with "không khớp với năm sinh 1988"
    And nothing was written to the case
