"""arXiv semantic search: reading, cleaning, training, model sets, search and topics (no Streamlit here)."""
