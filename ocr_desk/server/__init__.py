"""The OCR server: API app, server store, workers, OCR engines, extraction, quotas.

Imports only ``ocr_desk.core`` of the package (never the client's store, media or sync).
"""
