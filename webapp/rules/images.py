"""The API's rules for a dataset's images: formats, sizes and counts.

The upload form, the server's checks of each file, the sandbox, the pages and
nginx's limit on an upload request (`deploy/serve` reads it from here) all use
these figures.
"""

from __future__ import annotations

#: What Bria takes, by the format the file's bytes say it is (never its name).
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
#: Extensions for the file picker's hint (the server decides by content).
ACCEPT = ".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp"
#: At most this many images in one dataset, counting those already there.
MAX_IMAGES_PER_DATASET = 200
#: Bria's advice: at least 5 images, best 5 to 50.
MIN_IMAGES_TO_COMPLETE = 5
RECOMMENDED_IMAGES = (5, 50)
#: Below this many pixels on a side an image is refused.
MIN_SIDE = 256
#: Below this, Bria upscales an image (or refuses it when upscaling is turned off).
RECOMMENDED_SIDE = 1024
#: The largest image file the app accepts.
MAX_FILE_BYTES = 25 * 2**20
#: More pixels than this is a decompression bomb, not a photo (a 64-megapixel camera
#: makes 9248 × 6936): refused from its header, before anything is decoded.
MAX_PIXELS = 80_000_000
#: The most one upload request may carry: a whole dataset's worth of the largest files,
#: and room for the form's own fields.
UPLOAD_REQUEST_BYTES = MAX_IMAGES_PER_DATASET * MAX_FILE_BYTES + 2**20
#: Multipart parts in one upload request: each file, and the few fields beside them.
UPLOAD_REQUEST_PARTS = MAX_IMAGES_PER_DATASET + 20
#: Two images whose difference hashes differ in at most this many of 64 bits look alike.
NEAR_DUPLICATE_BITS = 6
#: An image whose width ÷ height is this far from the dataset's usual shape stands out.
ODD_ASPECT_FACTOR = 1.6
THUMBNAIL_SIDE = 320
