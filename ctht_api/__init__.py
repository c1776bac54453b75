"""CTHT API: the open record of the fight against trafficking in human beings in the digital age."""
