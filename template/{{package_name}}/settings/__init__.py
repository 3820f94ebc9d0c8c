"""How the settings of an environment are made and read.

base.py holds what every component's settings section is made of, loading.py reads
config/<environment>.yaml over the components' defaults and says what is wrong, and
`python -m <package>.settings` (__main__.py) prints an environment's settings. The settings
themselves live with their components (<component>/settings.py) and are composed in
environment.py.
"""
