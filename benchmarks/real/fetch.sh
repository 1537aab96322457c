#!/usr/bin/env bash
# Fetch the real multi-person clip for the people-detection benchmark (benchmark time only, never at product run time).
#
# Source: Debian package opencv-doc 4.6.0+dfsg-12 (bookworm), file
#   usr/share/doc/opencv-doc/examples/data/vtest.avi   (sha256 below)
# Output: benchmarks/real/vtest.mp4 = source frames 495..794 (300 frames, 768x576, 10 fps, lossless H.264, 20 MB),
#   excerpt frame i == source frame 495 + i, pixel for pixel (the decoded frames' MD5 is checked below: a lossy
#   encode made the benchmark's figures depend on the local x264, 90.0 vs 92.0 % recall with the same code).
#   Truth: benchmarks/real/vtest.people.json.
# The clip is not committed (licence of the footage unclear, see README.md); it is git-ignored.
#
# Needs: apt-get (Debian), dpkg-deb, ffmpeg with libx264, sha256sum.
# Usage: bash benchmarks/real/fetch.sh [path/to/opencv-doc_*.deb]   (a .deb you already have skips the download)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="$HERE/.cache"
PKG=opencv-doc
VERSION=4.6.0+dfsg-12
MEMBER=./usr/share/doc/opencv-doc/examples/data/vtest.avi
SHA256=45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf
FRAMES_MD5=d1f5e31a6e4ec19c10cf64978d675d02  # of the 300 decoded frames (ffmpeg -f md5, yuv420p)
FIRST=495
LAST=794
OUT="$HERE/vtest.mp4"

mkdir -p "$CACHE"
AVI="$CACHE/vtest.avi"

if [ -f "$AVI" ] && echo "$SHA256  $AVI" | sha256sum -c --status; then
  echo "have $AVI"
else
  DEB="${1:-}"
  if [ -z "$DEB" ]; then
    DEB="$(ls "$CACHE"/${PKG}_*.deb 2>/dev/null | head -n1 || true)"
  fi
  if [ -z "$DEB" ]; then
    # The exact version first; any other version of opencv-doc only if its vtest.avi has the same checksum.
    ( cd "$CACHE" && { apt-get download "$PKG=$VERSION" || { apt-get update -qq && apt-get download "$PKG=$VERSION"; } \
        || apt-get download "$PKG"; } )
    DEB="$(ls "$CACHE"/${PKG}_*.deb | head -n1)"
  fi
  echo "extracting $MEMBER from $DEB"
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO -f - "$MEMBER" > "$AVI.part"
  if ! echo "$SHA256  $AVI.part" | sha256sum -c --status; then
    echo "vtest.avi in $DEB does not match sha256 $SHA256; the truth file would not apply" >&2
    rm -f "$AVI.part"
    exit 1
  fi
  mv "$AVI.part" "$AVI"
  rm -f "$CACHE"/${PKG}_*.deb
fi

# Frame-exact cut: keep decoded frames FIRST..LAST and renumber them from 0 at 10 fps.
ffmpeg -hide_banner -loglevel error -y -i "$AVI" \
  -vf "select='between(n\,$FIRST\,$LAST)',setpts=N/10/TB" -r 10 \
  -c:v libx264 -preset veryfast -qp 0 -pix_fmt yuv420p -an "$OUT"

N="$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$OUT")"
if [ "$N" != "$((LAST - FIRST + 1))" ]; then
  echo "expected $((LAST - FIRST + 1)) frames in $OUT, got $N" >&2
  exit 1
fi
MD5="$(ffmpeg -v error -i "$OUT" -map 0:v -f md5 - | sed 's/^MD5=//')"
if [ "$MD5" != "$FRAMES_MD5" ]; then
  echo "warning: the decoded frames of $OUT have MD5 $MD5, not $FRAMES_MD5 (another ffmpeg decodes the source" \
       "differently): benchmark figures may differ from the README's" >&2
fi
echo "wrote $OUT ($N frames, source frames $FIRST..$LAST, frames MD5 $MD5)"
