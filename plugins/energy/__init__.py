"""Energy scenarios per quarter: heat demand now and after refurbishment, rooftop PV, hourly
electricity balance with batteries, self-sufficiency and grid peaks.

`tabula_DE_qhnd.txt` is a verbatim copy of ../shared/reference/energy/tabula_DE_qhnd.txt, an
extract of the German TABULA/EPISCOPE residential typology (IWU) as shipped in
FZJ-IEK3-VSA/HiSim (hisim/inputs/housing/data_raw/tabula_DE_complete.csv, MIT licensed repository).
"""
