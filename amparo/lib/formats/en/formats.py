"""English date formats: Django's, with times as "3:05 PM" instead of "3:05 p.m.",
which doubled the period of every sentence that ends with a time ("after 3 p.m..")."""

TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "N j, Y, g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
