"""An example of your own code beside litlab: a network litlab builds from the command line."""
