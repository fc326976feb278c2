"""Domain services shared by every channel. They never import a channel."""
