"""Transcription speed (as a multiple of real time) and peak memory, CPU int8, this machine.

Makes about a minute of English and of Russian speech with espeak-ng, muxes each with a
generated video (ffmpeg), then runs the same path as ``collect media``: probe, ffmpeg decode
to 16 kHz mono, faster-whisper in chunks. Prints seconds of audio per second of compute.

    /work/venv/bin/python benchmarks/bench_transcribe.py [--threads 2] [--seconds 60] [--model DIR]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

ENGLISH = ("We are mobilized men of a motor rifle regiment. For three months we have been sent into "
           "assaults without armour and without artillery support. Our commanders do not answer. "
           "We ask to be withdrawn to the rear and to be given the training we were promised. ")
RUSSIAN = ("Мы мобилизованные бойцы мотострелкового полка. Три месяца нас отправляют в штурмы без "
           "техники и без поддержки артиллерии. Командиры не отвечают. Просим вывести нас в тыл "
           "и дать обещанную подготовку. ")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_clip(folder: Path, voice: str, text: str, seconds: float) -> Path:
    wav = folder / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
    out = folder / f"{voice}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-stream_loop", "-1", "-i", str(wav), "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-c:a", "aac", str(out)], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--chunk", type=float, default=300.0, help="chunk length in seconds")
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()

    from dissentwatch.media.transcribe import Transcriber

    print(f"peak RSS before the model: {peak_rss_mib():.0f} MiB")
    started = time.perf_counter()
    transcriber = Transcriber(args.model, cpu_threads=args.threads, chunk_seconds=args.chunk)
    transcriber.model  # noqa: B018 (load now, timed separately)
    print(f"model load: {time.perf_counter() - started:.1f} s ({transcriber.model_name}, int8, "
          f"{args.threads} threads); peak RSS {peak_rss_mib():.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        for voice, text in (("en", ENGLISH), ("ru", RUSSIAN)):
            clip = make_clip(Path(tmp), voice, text * 4, args.seconds)
            started = time.perf_counter()
            transcript = transcriber.transcribe(clip, voice)
            spent = time.perf_counter() - started
            print(f"{voice}: {transcript.duration:.1f} s of speech in {spent:.1f} s = "
                  f"{transcript.duration / spent:.2f}x real time; {len(transcript.segments)} segments; "
                  f"peak RSS {peak_rss_mib():.0f} MiB")
            print(f"    starts: {transcript.text[:110]!r}")


if __name__ == "__main__":
    main()
