"""Input and output: video sources, single frames, video sinks and the tracks file format."""
