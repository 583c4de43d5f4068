"""Reading videos and audio: sound out with ffmpeg, speech to text with faster-whisper,
people and covered faces from sampled frames with OpenCV, fingerprints to spot re-uploads.

Everything runs offline: the Whisper model comes from packages that ship its weights.
"""

from __future__ import annotations


class MediaError(Exception):
    """A media file that could not be read or processed; the message names the file and why."""
