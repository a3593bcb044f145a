"""OCR engines behind one interface (see ``base``)."""
