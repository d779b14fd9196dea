"""kaohe 考核 — assessment of e-commerce customer-service teams."""

__version__ = "0.1.0"
