"""Non-visual widgets the debugger screen is composed of: each runs its thread worker and posts messages.

They hold no view state: the screen sets their attributes (attributes down), they post what
they found (messages up), and the screen's handlers own the step table, selection and hits.
"""
