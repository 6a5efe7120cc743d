This is a plain text file, not a city model.
second line
