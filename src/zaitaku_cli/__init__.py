"""zaitaku: home-care (在宅医療) supply and demand pipeline."""

__version__ = "0.1.0"
