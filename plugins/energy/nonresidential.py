"""Heat of non-residential buildings by use: the German benchmarks for energy certificates.

Source: "Bekanntmachung der Regeln für Energieverbrauchswerte und der Vergleichswerte im
Nichtwohngebäudebestand" (BMWi/BMI, 15 April 2021, BAnz AT 03.05.2021 B1, which replaced the one of
7 April 2015, BAnz AT 21.05.2015 B3). Its Anlage 1 Tabelle 1 gives per building category the
partial energy figures (Teilenergiekennwerte, TEK, of the IWU) for heating and for hot water, in
kWh of final energy per m2 of net floor area and year, weather-corrected to Potsdam (TRY region 4,
Dresden's region). The benchmark ("Vergleichswert") for heat is

    TEK heating x size factor + TEK hot water,

the size factor (Nummer 6.3.1) being 1.46 up to 500 m2, 4.53 A^-0.215 + 0.27 between, 0.71 from
50,000 m2. The TEK heating stand for a good energy class of an existing building (Nummer 6.1).
The figures below are those of the table as transcribed in the IWU's own DIBS simulator
(github.com/IWUGERMANY/DIBS---Dynamic-ISO-Building-Simulator,
iso_simulator/auxiliary/TEKs/TEK_NWG_Vergleichswerte.csv), checked against a second, independent
transcription of the 2021 table. Only the categories the AdV function codes map to are kept.

These are consumption benchmarks (final energy), not a computed need as TABULA's q_h_nd for the
housing: a non-residential building's figure includes its heating system's losses.
"""

from __future__ import annotations

import numpy as np

from plugins.energy.stock import function_code

# Lfd.-Nr. of Anlage 1 Tabelle 1: (category, TEK heating, TEK hot water in kWh/(m2 a)).
CATEGORIES: dict[int, tuple[str, float, float]] = {
    1: ("Verwaltungsgebäude (allgemein)", 48.5, 6.9),
    2: ("Parlaments- und Gerichtsgebäude", 49.9, 6.8),
    3: ("Ministerien, Ämter und Behörden", 48.3, 7.4),
    4: ("Polizeidienstgebäude", 52.4, 7.4),
    6: ("Feuerwehrdienstgebäude", 50.8, 7.1),
    7: ("Bürogebäude", 49.0, 8.1),
    9: ("Bankgebäude", 48.0, 6.4),
    10: ("Hochschule und Forschung (allgemein)", 66.5, 6.7),
    13: ("Gebäude für Forschung ohne Lehre", 87.8, 7.4),
    15: ("Gesundheitswesen (allgemein)", 55.7, 15.3),
    16: ("Krankenhäuser (ohne Forschung und Lehre)", 64.1, 40.8),
    18: ("Medizinische Einrichtungen für nicht stationäre Versorgung", 51.2, 8.6),
    20: ("Bildungseinrichtungen (allgemein)", 49.7, 19.5),
    21: ("Schulen", 49.3, 22.4),
    22: ("Kinderbetreuungseinrichtungen", 50.4, 17.3),
    23: ("Kultureinrichtungen (allgemein)", 55.9, 7.5),
    24: ("Bibliotheken / Archive", 49.0, 5.0),
    25: ("Ausstellungsgebäude", 57.6, 7.7),
    26: ("Veranstaltungsgebäude", 58.4, 9.1),
    27: ("Gemeinschafts- / Gemeindehäuser", 63.6, 10.0),
    28: ("Opern / Theater", 58.8, 7.6),
    29: ("Sporteinrichtungen (allgemein)", 65.5, 27.3),
    30: ("Sporthallen", 68.6, 22.0),
    32: ("Schwimmhallen", 63.8, 24.7),
    34: ("Verpflegungseinrichtungen (allgemein)", 75.9, 77.7),
    35: ("Beherbergungsstätten (allgemein)", 52.1, 86.0),
    36: ("Hotels / Pensionen", 51.2, 89.1),
    37: ("Jugendherbergen u. Ferienhäuser", 63.4, 50.9),
    38: ("Gaststätten", 77.8, 79.0),
    39: ("Mensen u. Kantinen", 67.0, 67.3),
    40: ("Gewerbliche und industrielle Gebäude (allgemein)", 38.7, 12.6),
    41: ("Gewerbliche und industrielle Gebäude - schwere Arbeit, stehende Tätigkeit", 37.8, 20.0),
    42: ("Gewerbliche und industrielle Gebäude - Mischung aus leichter u. schwerer Arbeit", 36.0, 24.2),
    44: ("Gebäude für Lagerung", 38.1, 19.3),
    45: ("Verkaufsstätten (allgemein)", 47.9, 7.6),
    46: ("Kaufhäuser", 45.9, 6.4),
    47: ("Kaufhauszentren / Einkaufszentren", 47.3, 11.1),
    48: ("Märkte", 48.7, 6.2),
    50: ("Läden", 46.8, 6.4),
}

# AdV building function (31001_xxxx) -> category. A code not listed takes the category of its group
# (the code rounded down to tens, then hundreds, then thousands); anything else is commercial.
CATEGORY_OF_FUNCTION = {
    2000: 40, 2010: 45, 2020: 7, 2030: 9, 2040: 7, 2050: 45, 2051: 46, 2052: 47, 2053: 48, 2054: 50,
    2055: 50, 2056: 50, 2060: 45, 2070: 35, 2071: 36, 2072: 37, 2080: 34, 2081: 38, 2083: 39,
    2090: 23, 2091: 26, 2092: 28, 2094: 23, 2100: 40, 2110: 42, 2111: 42, 2112: 40, 2120: 41,
    2140: 44, 2150: 44, 2160: 13,
    3000: 1, 3010: 1, 3011: 2, 3012: 3, 3015: 2, 3017: 3, 3018: 3, 3019: 3,
    3020: 20, 3021: 21, 3022: 20, 3023: 10, 3024: 13,
    3030: 23, 3032: 28, 3033: 28, 3034: 25, 3036: 26, 3037: 24, 3040: 27, 3044: 27,
    3050: 15, 3051: 16, 3052: 15, 3053: 18,
    3060: 27, 3061: 27, 3062: 27, 3064: 37, 3065: 22, 3066: 37,
    3070: 1, 3071: 4, 3072: 6, 3073: 37,
    3200: 29, 3210: 29, 3211: 30, 3220: 32, 3221: 32,
}
DEFAULT_CATEGORY = 40


def category(function: str) -> int:
    """The benchmark category (Lfd.-Nr.) of an AdV building function code."""
    code = function_code(function)
    for group in (code, code // 10 * 10, code // 100 * 100, code // 1000 * 1000):
        if group in CATEGORY_OF_FUNCTION:
            return CATEGORY_OF_FUNCTION[group]
    return DEFAULT_CATEGORY


def size_factor(floor_area: np.ndarray) -> np.ndarray:
    """Nummer 6.3.1: the TEK heating of a building of this net floor area (m2) is scaled by this."""
    area = np.clip(np.asarray(floor_area, dtype=float), 500.0, 50_000.0)
    return np.where(area <= 500.0, 1.46, np.where(area >= 50_000.0, 0.71, 4.53 * area ** -0.215 + 0.27))


def benchmarks(functions: np.ndarray, floor_area: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per building: category name, heating and hot water benchmarks in kWh/(m2 a)."""
    numbers = [category(str(function)) for function in functions]
    names = np.array([CATEGORIES[number][0] for number in numbers], dtype=object).astype(str)
    heating = np.array([CATEGORIES[number][1] for number in numbers], dtype=float) * size_factor(floor_area)
    hot_water = np.array([CATEGORIES[number][2] for number in numbers], dtype=float)
    return names, heating, hot_water
