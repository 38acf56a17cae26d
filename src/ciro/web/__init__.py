"""`ciro serve`: the SPARQL endpoint (`serve`), term pages (`pages`) and the VoID description (`void`)."""
