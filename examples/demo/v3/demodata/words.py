"""Word lists the generators draw from: realistic names and texts in many scripts,
plus the characters that break naive dumpers (quotes, backslashes, line separators,
control characters, combining marks, bidi controls, emoji sequences).

No "\x00" anywhere in text: PostgreSQL cannot store it in text columns.
"""

# fmt: off

FIRST_NAMES = [
    "Anna", "Luc", "Mélanie", "Jürgen", "Søren", "Zoë", "José", "Łukasz", "Ǆemal",
    "Иван", "Ελένη", "Aiko", "美咲", "Jae-won", "민준", "Ahmad", "محمد", "אבי",
    "Nnamdi", "Siobhán", "Þórdís", "Ngọc Anh", "Ævar", "Chloé", "İbrahim", "François",
    "María José", "Priya", "प्रिया", "Kofi", "Björn", "Dvořák", "Noël", "Åsa", "Marie",
    "Jan", "Pieter", "Fatima", "Ole", "Giulia", "Kwame", "Lín", "Oğuz", "Saoirse",
]

LAST_NAMES = [
    "Peeters", "Janssens", "Van den Berghe", "O'Neill", "Müller", "García Márquez",
    "Ødegård", "Dvořáková", "Smith-Jones", "d'Artagnan", "Nguyễn", "山田", "王",
    "Иванов", "Παπαδόπουλος", "بن علي", "כהן", "Kowalczyk", "Schrödinger", "Ørsted",
    "Łęczycki", "Mbeki", "Ó Briain", "van 't Hoff", "MacDonald", "Østergård",
    "Dubois", "Lefèvre", "De Smet", "Wouters", "Jacobs", "Mertens", "Willems",
    "Claes", "Goossens", "Maes", "Vermeulen", "Hermans", "Aerts", "Ramaekers",
]

COMPANY_SUFFIXES = [
    "NV", "BV", "GmbH", "S.A.", "株式会社", "Ltd.", "& Söhne", "SRL", "Oy", "ООО",
    "A/S", "S.à r.l.", "AG", "ASBL", "vzw", "Inc.", "& Co. KG", "שותפות", "ش.م.م",
]

CITIES = [
    "Eupen", "Liège", "Bruxelles", "Antwerpen", "Sankt Vith", "Köln", "Zürich",
    "Tallinn", "Kraków", "Ærøskøbing", "Reykjavík", "東京", "서울", "Москва",
    "Αθήνα", "القاهرة", "תל אביב", "São Paulo", "Montréal", "Nuuk", "Łódź",
    "Düsseldorf", "Tromsø", "Malmö", "Kyiv", "Ciudad de México", "Ouagadougou",
]

STREETS = [
    "Rue de l'Église", "Hauptstraße", "Kirchstraße", "Avenue Louise", "Meir",
    "Neustraße", "Quai des Péniches", "Rue Haute", "Grand-Place", "銀座通り",
    "ул. Тверская", "Odos Ermou", "شارع التحرير", "Rehov Dizengoff", "Ülemiste tee",
]

#: whole words that are not just letters
ODD_WORDS = [
    "naïve", "façade", "Ångström", "straße", "ĳssel", "Œuvre", "ﬃ", "İstanbul",
    "e\u0301te\u0301",  # NFD: e + combining acute, twice
    "Z\u0351\u0352a\u0353l\u0354g\u0355o",  # zalgo
    "a\u0308\u0304",  # a + two combining marks
    "\u202eevil\u202c",  # right-to-left override
    "\u200fמילה\u200e",  # RLM / LRM marks
    "soft\u00adhyphen", "zero\u200bwidth", "no\u00a0break", "\ufeffBOM",
    "\ufffd", "👩\u200d💻", "🇧🇪", "👍🏽", "🧑\u200d🤝\u200d🧑", "💩", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\U000e0067\U000e0062", "ǅ", "ß", "Σς", "\u0130", "\u2126", "Å",
    "'", '"', "\\", "\\n", "\\x00", "\\N{BULLET}", "'''", '"""', "%s", "{0}",
    "${HOME}", "<b>", "&amp;", "NULL", "None", "null", "--", "/*", "`ls`", "😀😃😄",
]

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë.",
    "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
    "Pchnąć w tę łódź jeża lub ośm skrzyń fig.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "いろはにほへと ちりぬるを わかよたれそ つねならむ",
    "我能吞下玻璃而不伤身体。",
    "다람쥐 헌 쳇바퀴에 타고파",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Ξεσκεπάζω τὴν ψυχοφθόρα βδελυγμία.",
    "صِف خَلقَ خَودِ كَمِثلِ الشَمسِ إِذ بَزَغَت",
    "דג סקרן שט בים מאוכזב ולפתע מצא חברה",
    "English with עברית inside and العربية too, then back.",
    "Emoji 👩\u200d💻 at work in 🇧🇪, thumbs 👍🏽 and 🧑\u200d🤝\u200d🧑.",
    'He said "hello" and she said \'bye\'.',
    "Backslashes: C:\\temp\\new and \\n is not a newline.",
    "Triple quotes ''' and \"\"\" in one line.",
    "Tab\tseparated\tvalues",
    "Control characters \x01, \x02, \x1b[31m and \x1f and DEL \x7f here.",
    "Form feed \x0c and vertical tab \x0b split lines for str.splitlines().",
    "A line separator \u2028 and a paragraph separator \u2029 inside.",
    "NEL \x85 is a line break to Python but not to most editors.",
    "Price: 12,50 € or £9.99 or ¥1200 or ₹99.",
    "<p>Some <b>HTML</b> &amp; entities &lt;script&gt;</p>",
    "SELECT * FROM auth_user; -- not an injection",
    "%(name)s, {0}, {name}, %d and $1 placeholders.",
    "Zalgo: Z\u0351\u0352a\u0353l\u0354g\u0355o t\u0356e\u0357x\u0358t.",
    "Mathematical 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 𝟙𝟚𝟛 digits.",
    "Trailing spaces   ",
    "   leading spaces",
    "\ufeffStarts with a byte order mark.",
    "Mixed\r\nline\rendings\nhere.",
    "Wrapped in quotes: 'single' \"double\" «guillemets» „Anführung“ 「括弧」.",
]

LINE_SEPARATORS = ["\n", "\r\n", "\r", "\n\n", " ", "\t", "\u2028", "\x85", "\r\n\r\n"]

TITLES = ["Dr.", "Mme", "Mr", "Prof. Dr. h.c.", "Sr.ª", "Herr", "博士", "Ms.", "Ir."]

#: ``Person.short_name`` (``nickname`` in version 2) is mostly the first name, sometimes
#: one of these; in capitals since version 3
NICKNAMES = [
    "Bob", "Lulu", "Jo", "Mimi", "Kiki", "Ché", "Ёжик", "小明", "Zizou", "😎", "Dédé",
    "J.-P.", "O'Bee", "Nono", "Tata\tTiti", "ß-Boy",
]

FUNCTIONS = [
    "Director", "Secretary", "Treasurer", "Bibliothécaire", "Geschäftsführer",
    "Volunteer", "Intern", "Accountant", "社長", "Директор", "IT", "Reception",
]

BOOK_WORDS = [
    "History", "Garden", "Night", "Code", "Sea", "Mémoires", "Geschichte", "Kunst",
    "人生", "Война", "мир", "Λόγος", "حب", "אהבה", "Río", "Ørken", "Stars", "Bread",
    "Python", "Data", "Migration", "Letters", "Silence", "Winter", "Été", "Frühling",
]

CATEGORY_NAMES = [
    "Fiction", "Non-fiction", "Science", "Histoire", "Kinderbücher", "Poésie",
    "Comics", "漫画", "Cookbooks", "Travel", "Reference", "Биографии", "Philosophy",
    "Art & Design", "Computers", "Law", "Religion", "Music", "Sport", "Local",
]

#: ``CATEGORY_NAMES`` in German, item by item (``Category.name_de``, version 2)
CATEGORY_NAMES_DE = [
    "Romane", "Sachbücher", "Wissenschaft", "Geschichte", "Kinderbücher", "Gedichte",
    "Comics", "Mangas", "Kochbücher", "Reisen", "Nachschlagewerke", "Biografien",
    "Philosophie", "Kunst & Gestaltung", "Computer", "Recht", "Religion", "Musik",
    "Sport", "Heimatkunde",
]

LABEL_NAMES = [
    "urgent", "todo", "done", "idea", "question", "bug", "Wichtig", "à faire",
    "重要", "важно", "🔥", "⭐ star", "follow-up", "private", "draft", "review",
]

#: members of the European Union among ``COUNTRIES`` (``Country.is_eu``, version 2)
EU_MEMBERS = {
    "BE", "DE", "FR", "NL", "LU", "EE", "GR", "DK", "PL", "CZ", "IE", "SE", "FI",
}

#: iso code, English name, native name, population, area (km2), calling code
COUNTRIES = [
    ("BE", "Belgium", "België / Belgique / Belgien", 11_800_000, 30_688.0, 32),
    ("DE", "Germany", "Deutschland", 84_000_000, 357_588.0, 49),
    ("FR", "France", "France", 68_000_000, 643_801.0, 33),
    ("NL", "Netherlands", "Nederland", 17_900_000, 41_850.0, 31),
    ("LU", "Luxembourg", "Lëtzebuerg", 660_000, 2_586.4, 352),
    ("EE", "Estonia", "Eesti", 1_370_000, 45_339.0, 372),
    ("JP", "Japan", "日本", 124_000_000, 377_975.0, 81),
    ("CN", "China", "中国", 1_410_000_000, 9_596_961.0, 86),
    ("KR", "South Korea", "대한민국", 51_700_000, 100_210.0, 82),
    ("RU", "Russia", "Россия", 146_000_000, 17_098_246.0, 7),
    ("GR", "Greece", "Ελλάδα", 10_400_000, 131_957.0, 30),
    ("EG", "Egypt", "مصر", 112_000_000, 1_010_408.0, 20),
    ("IL", "Israel", "ישראל", 9_800_000, 22_072.0, 972),
    ("IN", "India", "भारत", 1_430_000_000, 3_287_263.0, 91),
    ("BR", "Brazil", "Brasil", 203_000_000, 8_515_767.0, 55),
    ("IS", "Iceland", "Ísland", 390_000, 102_775.0, 354),
    ("DK", "Denmark", "Danmark", 5_900_000, 42_933.0, 45),
    ("PL", "Poland", "Polska", 37_600_000, 312_696.0, 48),
    ("CZ", "Czechia", "Česko", 10_900_000, 78_871.0, 420),
    ("TR", "Türkiye", "Türkiye", 85_300_000, 783_562.0, 90),
    ("VN", "Viet Nam", "Việt Nam", 100_000_000, 331_212.0, 84),
    ("GL", "Greenland", "Kalaallit Nunaat", 56_000, 2_166_086.0, 299),
    ("VA", "Holy See", "Status Civitatis Vaticanae", 800, 0.49, None),
    ("AQ", "Antarctica", "", None, 14_200_000.0, None),
    ("BF", "Burkina Faso", "Burkina Faso", 22_700_000, 274_200.0, 226),
    ("CH", "Switzerland", "Schweiz / Suisse / Svizzera / Svizra", 8_900_000, 41_285.0, 41),
    ("IE", "Ireland", "Éire", 5_200_000, 70_273.0, 353),
    ("NO", "Norway", "Norge / Noreg", 5_500_000, 385_207.0, 47),
    ("SE", "Sweden", "Sverige", 10_500_000, 450_295.0, 46),
    ("FI", "Finland", "Suomi", 5_600_000, 338_455.0, 358),
    ("UA", "Ukraine", "Україна", 37_000_000, 603_628.0, 380),
    ("MX", "Mexico", "México", 129_000_000, 1_964_375.0, 52),
    ("CA", "Canada", "Canada", 40_000_000, 9_984_670.0, 1),
    ("US", "United States", "United States", 335_000_000, 9_833_520.0, 1),
    ("TH", "Thailand", "ประเทศไทย", 71_800_000, 513_120.0, 66),
    ("GE", "Georgia", "საქართველო", 3_700_000, 69_700.0, 995),
    ("AM", "Armenia", "Հայաստան", 2_800_000, 29_743.0, 374),
    ("ET", "Ethiopia", "ኢትዮጵያ", 126_000_000, 1_104_300.0, 251),
    ("LK", "Sri Lanka", "ශ්‍රී ලංකාව", 22_000_000, 65_610.0, 94),
    ("NP", "Nepal", "नेपाल", 30_500_000, 147_516.0, 977),
]
# fmt: on
