"""`cbow explore`: a local web page over vectors files, served read-only by the standard library.

    served.py       the files named on the command line: loaded once (memory-mapped .cbow),
                    their ids and names, word lookup (vocabulary, spelling, n-grams)
    completion.py   the search box: prefix completion over a vocabulary, did-you-mean
    neighbours.py   a word's neighbours, expressions and analogies (3CosAdd, 3CosMul),
                    two files side by side (overlap@k) and the words that moved most
    batching.py     concurrent neighbour queries of a file answered by one matrix product
    layout.py       2-D maps: PCA of the top N words (covariance eigendecomposition) or of a
                    word's neighbourhood; t-SNE / UMAP when installed (the explore extra)
    layout_jobs.py  t-SNE / UMAP in a child process, with progress, cached per file
    layout_child.py what that child process runs
    evaluation.py   the evaluation sets cbow knows, run from the page: sections, wrong answers
    api.py          the JSON API: parameters checked, answers as data, errors as JSON
    server.py       HTTP: the static files of the page, the API, the loopback guard
    static/         the page itself (HTML, CSS, JavaScript written here; no CDN)

The layer sits above training/ (it reads training logs) and below cli/.
"""
