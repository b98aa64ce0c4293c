"""The API's rules for a dataset's images: formats, sizes and counts.

The upload form, the server's checks of each file, the sandbox, the pages and
nginx's limit on an upload request (`deploy/serve` reads it from here) all use
these figures.
"""

from __future__ import annotations

#: At most this many images in one dataset, counting those already there.
MAX_IMAGES_PER_DATASET = 200
#: Bria's advice: at least 5 images, best 5 to 50.
MIN_IMAGES_TO_COMPLETE = 5
RECOMMENDED_IMAGES = (5, 50)
#: The largest image file the app accepts (the API states 25 MB where it states one).
MAX_FILE_BYTES = 25 * 2**20
#: The most one upload request may carry: a whole dataset's worth of the largest files,
#: and room for the form's own fields.
UPLOAD_REQUEST_BYTES = MAX_IMAGES_PER_DATASET * MAX_FILE_BYTES + 2**20
#: Multipart parts in one upload request: each file, and the few fields beside them.
UPLOAD_REQUEST_PARTS = MAX_IMAGES_PER_DATASET + 20
