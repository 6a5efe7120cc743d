"""Energy scenarios per quarter: heat demand now and after refurbishment, rooftop PV, hourly
electricity balance with batteries, self-sufficiency and grid peaks.

Data and where it comes from:
- `tabula_DE_qhnd.txt` is a verbatim copy of tests/data/energy/tabula_DE_qhnd.txt, an
  extract of the German TABULA/EPISCOPE residential typology (IWU) as shipped in FZJ-IEK3-VSA/HiSim
  (hisim/inputs/housing/data_raw/tabula_DE_complete.csv, MIT licensed repository);
- non-residential heat benchmarks per use: `nonresidential.py` (the German rules for energy
  certificates of non-residential buildings, 2021);
- weather (DWD TRY 2010) and the BDEW load profiles (H25/G25, and the 1999 H0/G0 table) are read from
  the installed demandlib package, offline;
- households' stochastic loads (`households.py`) are drawn around the BDEW profile; the appliance
  classes, the shares refurbished today and TABULA's adaptation factors (`heat.py`) are estimates,
  labelled so where they are defined, with the published tables named that should replace them.
"""
