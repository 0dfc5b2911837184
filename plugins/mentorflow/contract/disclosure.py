"""What the program promises about disclosure: HR and the committee only ever see groups of at
least :data:`MIN_CELL` people (the forms and emails say so); smaller groups are suppressed."""

MIN_CELL = 5
