"""What Bria holds beyond projects (datasets and their images) as last read, shared by
every server, and how a page finds the project and dataset its address names."""
