//! The .NET cultures the function library knows.
//!
//! `formatDateTime`, `parseDateTime`, `formatNumber`, `float` and `isFloat`
//! take an optional locale. We carry data for the invariant culture and the
//! cultures the docs use (en-US, de-DE, fr-FR, es-ES, is-IS) plus a few
//! common ones. Values follow .NET on ICU (what .NET 5+ uses), except where a
//! documented example shows otherwise (is-IS currency `kr` without a period).
//! Unknown locales are an error, as in the runtime.

/// Number and date/time formatting data for one culture.
#[derive(Debug)]
pub(crate) struct Culture {
    /// Canonical name, e.g. `en-US` (empty for the invariant culture).
    pub(crate) name: &'static str,
    pub(crate) decimal_sep: &'static str,
    pub(crate) group_sep: &'static str,
    pub(crate) currency_symbol: &'static str,
    /// .NET `CurrencyPositivePattern` (0 `$n`, 1 `n$`, 2 `$ n`, 3 `n $`).
    pub(crate) currency_positive: u8,
    /// .NET `CurrencyNegativePattern` (0–16).
    pub(crate) currency_negative: u8,
    pub(crate) currency_digits: u8,
    /// .NET `PercentPositivePattern` (0 `n %`, 1 `n%`, 2 `%n`, 3 `% n`).
    pub(crate) percent_positive: u8,
    /// .NET `PercentNegativePattern` (0 `-n %`, 1 `-n%`, 2 `-%n`, …).
    pub(crate) percent_negative: u8,
    pub(crate) nan: &'static str,
    pub(crate) positive_infinity: &'static str,
    pub(crate) negative_infinity: &'static str,
    pub(crate) months: [&'static str; 12],
    pub(crate) months_abbr: [&'static str; 12],
    pub(crate) days: [&'static str; 7],
    pub(crate) days_abbr: [&'static str; 7],
    pub(crate) am: &'static str,
    pub(crate) pm: &'static str,
    pub(crate) date_sep: &'static str,
    pub(crate) time_sep: &'static str,
    /// Standard format `d`.
    pub(crate) short_date: &'static str,
    /// Standard format `D`.
    pub(crate) long_date: &'static str,
    /// Standard format `t`.
    pub(crate) short_time: &'static str,
    /// Standard format `T`.
    pub(crate) long_time: &'static str,
    /// Standard format `M`.
    pub(crate) month_day: &'static str,
    /// Standard format `Y`.
    pub(crate) year_month: &'static str,
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_MONTHS_ABBR: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const EN_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const EN_DAYS_ABBR: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The invariant culture (`''`).
pub(crate) static INVARIANT: Culture = Culture {
    name: "",
    decimal_sep: ".",
    group_sep: ",",
    currency_symbol: "¤",
    currency_positive: 0,
    currency_negative: 0,
    currency_digits: 2,
    percent_positive: 0,
    percent_negative: 0,
    nan: "NaN",
    positive_infinity: "Infinity",
    negative_infinity: "-Infinity",
    months: EN_MONTHS,
    months_abbr: EN_MONTHS_ABBR,
    days: EN_DAYS,
    days_abbr: EN_DAYS_ABBR,
    am: "AM",
    pm: "PM",
    date_sep: "/",
    time_sep: ":",
    short_date: "MM/dd/yyyy",
    long_date: "dddd, dd MMMM yyyy",
    short_time: "HH:mm",
    long_time: "HH:mm:ss",
    month_day: "MMMM dd",
    year_month: "yyyy MMMM",
};

/// en-US, the runtime's default for dates and numbers.
pub(crate) static EN_US: Culture = Culture {
    name: "en-US",
    decimal_sep: ".",
    group_sep: ",",
    currency_symbol: "$",
    currency_positive: 0,
    currency_negative: 1,
    currency_digits: 2,
    percent_positive: 1,
    percent_negative: 1,
    nan: "NaN",
    positive_infinity: "∞",
    negative_infinity: "-∞",
    months: EN_MONTHS,
    months_abbr: EN_MONTHS_ABBR,
    days: EN_DAYS,
    days_abbr: EN_DAYS_ABBR,
    am: "AM",
    pm: "PM",
    date_sep: "/",
    time_sep: ":",
    short_date: "M/d/yyyy",
    long_date: "dddd, MMMM d, yyyy",
    short_time: "h:mm tt",
    long_time: "h:mm:ss tt",
    month_day: "MMMM d",
    year_month: "MMMM yyyy",
};

static EN_GB: Culture = Culture {
    name: "en-GB",
    currency_symbol: "£",
    currency_negative: 1,
    short_date: "dd/MM/yyyy",
    long_date: "dd MMMM yyyy",
    short_time: "HH:mm",
    long_time: "HH:mm:ss",
    month_day: "d MMMM",
    am: "am",
    pm: "pm",
    ..EN_US
};

/// Shared by the euro-zone cultures below: `1.234,56 €`.
static EURO_BASE: Culture = Culture {
    name: "",
    decimal_sep: ",",
    group_sep: ".",
    currency_symbol: "€",
    currency_positive: 3,
    currency_negative: 8,
    percent_positive: 0,
    percent_negative: 0,
    short_time: "HH:mm",
    long_time: "HH:mm:ss",
    ..EN_US
};

static DE_DE: Culture = Culture {
    name: "de-DE",
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    months_abbr: [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ],
    days: [
        "Sonntag",
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
    ],
    days_abbr: ["So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."],
    date_sep: ".",
    short_date: "dd.MM.yyyy",
    long_date: "dddd, d. MMMM yyyy",
    month_day: "d. MMMM",
    year_month: "MMMM yyyy",
    ..EURO_BASE
};

static FR_FR: Culture = Culture {
    name: "fr-FR",
    group_sep: "\u{202f}",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    months_abbr: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    days: [
        "dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
    ],
    days_abbr: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    short_date: "dd/MM/yyyy",
    long_date: "dddd d MMMM yyyy",
    month_day: "d MMMM",
    year_month: "MMMM yyyy",
    ..EURO_BASE
};

static ES_ES: Culture = Culture {
    name: "es-ES",
    months: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    months_abbr: [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    days: [
        "domingo",
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
    ],
    days_abbr: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
    short_date: "dd/MM/yyyy",
    long_date: "dddd, d 'de' MMMM 'de' yyyy",
    short_time: "H:mm",
    long_time: "H:mm:ss",
    month_day: "d 'de' MMMM",
    year_month: "MMMM 'de' yyyy",
    ..EURO_BASE
};

static IS_IS: Culture = Culture {
    name: "is-IS",
    currency_symbol: "kr",
    currency_digits: 0,
    months: [
        "janúar",
        "febrúar",
        "mars",
        "apríl",
        "maí",
        "júní",
        "júlí",
        "ágúst",
        "september",
        "október",
        "nóvember",
        "desember",
    ],
    months_abbr: [
        "jan.", "feb.", "mar.", "apr.", "maí", "jún.", "júl.", "ágú.", "sep.", "okt.", "nóv.",
        "des.",
    ],
    days: [
        "sunnudagur",
        "mánudagur",
        "þriðjudagur",
        "miðvikudagur",
        "fimmtudagur",
        "föstudagur",
        "laugardagur",
    ],
    days_abbr: ["sun.", "mán.", "þri.", "mið.", "fim.", "fös.", "lau."],
    date_sep: ".",
    short_date: "d.M.yyyy",
    long_date: "d. MMMM yyyy",
    month_day: "d. MMMM",
    year_month: "MMMM yyyy",
    ..EURO_BASE
};

static IT_IT: Culture = Culture {
    name: "it-IT",
    months: [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    months_abbr: [
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
    ],
    days: [
        "domenica",
        "lunedì",
        "martedì",
        "mercoledì",
        "giovedì",
        "venerdì",
        "sabato",
    ],
    days_abbr: ["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
    short_date: "dd/MM/yyyy",
    long_date: "dddd d MMMM yyyy",
    month_day: "d MMMM",
    year_month: "MMMM yyyy",
    ..EURO_BASE
};

static NL_NL: Culture = Culture {
    name: "nl-NL",
    currency_positive: 2,
    currency_negative: 12,
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    months_abbr: [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
    days: [
        "zondag",
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
    ],
    days_abbr: ["zo", "ma", "di", "wo", "do", "vr", "za"],
    date_sep: "-",
    short_date: "d-M-yyyy",
    long_date: "dddd d MMMM yyyy",
    month_day: "d MMMM",
    year_month: "MMMM yyyy",
    ..EURO_BASE
};

static PT_BR: Culture = Culture {
    name: "pt-BR",
    currency_symbol: "R$",
    currency_positive: 2,
    currency_negative: 9,
    months: [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    months_abbr: [
        "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
    ],
    days: [
        "domingo",
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
    ],
    days_abbr: ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
    short_date: "dd/MM/yyyy",
    long_date: "dddd, d 'de' MMMM 'de' yyyy",
    month_day: "d 'de' MMMM",
    year_month: "MMMM 'de' yyyy",
    ..EURO_BASE
};

static ALL: [&Culture; 10] = [
    &INVARIANT, &EN_US, &EN_GB, &DE_DE, &FR_FR, &ES_ES, &IS_IS, &IT_IT, &NL_NL, &PT_BR,
];

/// Finds a culture by RFC 4646 name, ignoring case; a bare language (`de`)
/// picks that language's culture, and `''` is the invariant culture.
pub(crate) fn find(name: &str) -> Option<&'static Culture> {
    let name = name.trim();
    if let Some(c) = ALL.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    ALL.iter()
        .find(|c| {
            c.name
                .split('-')
                .next()
                .is_some_and(|lang| !lang.is_empty() && lang.eq_ignore_ascii_case(name))
        })
        .copied()
}

/// Names of the supported cultures (for documentation and tests).
pub fn supported_cultures() -> Vec<&'static str> {
    ALL.iter().map(|c| c.name).collect()
}
