"""Libraries, their books, copies and loans."""
