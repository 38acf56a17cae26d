"""`ciro serve`: the server and its hardening (`serve`), the ASGI application (`app`), the query workers
(`pool` on the server's side, `worker` in the worker processes, `answer` for one request), term pages
(`pages`) and the VoID description (`void`)."""
