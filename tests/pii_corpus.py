"""Generates the labeled PII corpus (JSON lines) used to measure eugate's
detector: positives in eight languages with gold spans, and hard
negatives (order numbers, timestamps, UUIDs, hashes, versions, prices,
near-miss IDs with wrong checksums). The check algorithms are written
here again, independently of the C validators, from the public
specifications (ISO 13616, ISO 7064, national agency rules).

usage: pii_corpus.py [seed] [copies]  -> JSON lines on stdout
"""
import json
import random
import string
import sys

R = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 42)
COPIES = int(sys.argv[2]) if len(sys.argv) > 2 else 40


def digits(n, first_nonzero=False):
    s = "".join(R.choice(string.digits) for _ in range(n))
    if first_nonzero and s[0] == "0":
        s = R.choice("123456789") + s[1:]
    return s


def luhn_digit(s):
    """The check digit that makes s + digit pass Luhn."""
    return str((10 - sum_luhn(s + "0")) % 10)


def mod97(s):
    r = 0
    for ch in s:
        r = (r * 10 + int(ch)) % 97 if ch.isdigit() else \
            (r * 100 + ord(ch) - 55) % 97
    return r


def iban(cc, bban):
    check = 98 - mod97(bban + cc + "00")
    return "%s%02d%s" % (cc, check, bban)


def es_ccc(d):
    """A Spanish control digit over ten digits."""
    c = 11 - sum(w * int(x) for w, x in
                 zip((1, 2, 4, 8, 5, 10, 9, 7, 3, 6), d)) % 11
    return {11: 0, 10: 1}.get(c, c)


def es_bban(d):
    """Bank, branch, the two control digits, account (same draws)."""
    return "%s%d%d%s" % (d[:8], es_ccc("00" + d[:8]), es_ccc(d[10:]),
                         d[10:])


def be_bban(d):
    """Bank, account, and their mod 97 (97 for 0)."""
    return "%s%02d" % (d[:10], int(d[:10]) % 97 or 97)


IBAN_BBAN = {
    "DE": lambda: digits(18), "FR": lambda: digits(10) +
    "".join(R.choice(string.ascii_uppercase + string.digits)
            for _ in range(11)) + digits(2),
    "NL": lambda: "".join(R.choice(string.ascii_uppercase)
                          for _ in range(4)) + digits(10),
    "ES": lambda: es_bban(digits(20)),
    "IT": lambda: R.choice("ABCDEFGHIJ") +
    digits(10) + digits(12), "BE": lambda: be_bban(digits(12)),
    "AT": lambda: digits(16), "PL": lambda: digits(24),
    "SE": lambda: digits(20), "DK": lambda: digits(14),
    "FI": lambda: digits(14), "PT": lambda: digits(21),
    "IE": lambda: "".join(R.choice(string.ascii_uppercase)
                          for _ in range(4)) + digits(14),
    "GB": lambda: "".join(R.choice(string.ascii_uppercase)
                          for _ in range(4)) + digits(14),
}


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban():
    v = iban(*(lambda cc: (cc, IBAN_BBAN[cc]()))(R.choice(list(IBAN_BBAN))))
    return group4(v) if R.random() < 0.6 else v


def gen_card():
    kind = R.choice(["visa", "mc", "mc2", "amex", "disc"])
    if kind == "visa":
        body = "4" + digits(14)
    elif kind == "mc":
        body = "5" + R.choice("12345") + digits(13)
    elif kind == "mc2":
        body = str(R.randint(2221, 2720)) + digits(11)
    elif kind == "amex":
        body = R.choice(["34", "37"]) + digits(12)
    else:
        body = "6011" + digits(11)
    num = body + luhn_digit(body)
    sep = R.choice([" ", "-"])
    if kind == "amex":
        return num[:4] + sep + num[4:10] + sep + num[10:], True
    if R.random() < 0.5:
        return num, False
    return sep.join(num[i:i + 4] for i in range(0, 16, 4)), True


def mod11_10_check(s):
    p = 10
    for ch in s:
        x = (int(ch) + p) % 10
        if x == 0:
            x = 10
        p = (2 * x) % 11
    return str((11 - p) % 10)


def gen_de_tax():
    while True:
        d = [R.choice(string.digits[1:])] + R.sample(string.digits, 9)
        rep = R.randrange(10)
        d[R.randrange(1, 10)] = d[rep]
        s = "".join(d)
        counts = [s[:10].count(c) for c in set(s[:10])]
        if sorted(counts)[-1] in (2, 3) and \
                len([c for c in counts if c > 1]) == 1 and s[0] != "0":
            v = s + mod11_10_check(s)
            return v if R.random() < 0.5 else \
                "%s %s %s %s" % (v[:2], v[2:5], v[5:8], v[8:])


def rand_date():
    y = R.randint(1940, 2005)
    m = R.randint(1, 12)
    d = R.randint(1, 28)
    return y, m, d


def gen_de_svnr():
    y, m, d = rand_date()
    letter = R.choice(string.ascii_uppercase)
    base = "%02d%02d%02d%02d" % (R.randint(10, 89), d, m, y % 100) + \
        "%02d" % (ord(letter) - 64) + digits(2)
    w = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1]
    total = sum((int(c) * w[i]) // 10 + (int(c) * w[i]) % 10
                for i, c in enumerate(base))
    return base[:8] + letter + base[10:] + str(total % 10)


def gen_fr_nir():
    y, m, d = rand_date()
    n = "%s%02d%02d%02d%s%s" % (R.choice("12"), y % 100, m,
                                R.randint(1, 95), digits(3), digits(3))
    key = 97 - int(n) % 97
    v = n + "%02d" % key
    return " ".join([v[0], v[1:3], v[3:5], v[5:7], v[7:10], v[10:13],
                     v[13:]])


DNI = "TRWAGMYFPDXBNJZSQVHLCKE"


def gen_es_dni():
    n = digits(8)
    return n + DNI[int(n) % 23]


def gen_es_nie():
    p = R.choice("XYZ")
    n = digits(7)
    return p + n + DNI[int(str("XYZ".index(p)) + n) % 23]


ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12,
       14, 16, 10, 22, 25, 24, 23]


def gen_it_cf():
    s = "".join(R.choice(string.ascii_uppercase) for _ in range(6))
    y, m, d = rand_date()
    s += "%02d" % (y % 100) + "ABCDEHLMPRST"[m - 1] + "%02d" % (
        d + R.choice([0, 40])) + R.choice(string.ascii_uppercase) + digits(3)
    total = 0
    for i, ch in enumerate(s):
        if ch.isdigit():
            total += (ODD[int(ch)] if int(ch) > 1 else [1, 0][int(ch)]) \
                if i % 2 == 0 else int(ch)
        else:
            total += ODD[ord(ch) - 65] if i % 2 == 0 else ord(ch) - 65
    return s + chr(65 + total % 26)


def gen_nl_bsn():
    while True:
        s = digits(8, True)
        total = sum((9 - i) * int(c) for i, c in enumerate(s))
        last = total % 11
        if last < 10:
            return s + str(last)


def gen_be_nn():
    y, m, d = rand_date()
    base = "%02d%02d%02d%s" % (y % 100, m, d, digits(3))
    n = int(base) if y < 2000 else 2000000000 + int(base)
    cc = 97 - n % 97
    v = base + "%02d" % cc
    return "%s.%s.%s-%s.%s" % (v[:2], v[2:4], v[4:6], v[6:9], v[9:])


def gen_pesel():
    y, m, d = rand_date()
    mm = m + (20 if y >= 2000 else 0)
    s = "%02d%02d%02d%s" % (y % 100, mm, d, digits(4))
    w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    return s + str((10 - sum(w[i] * int(c) for i, c in enumerate(s)) % 10)
                   % 10)


def gen_se():
    y, m, d = rand_date()
    s = "%02d%02d%02d%s" % (y % 100, m, d, digits(3))
    v = s + luhn_digit(s)
    return v[:6] + "-" + v[6:]


def gen_fi():
    y, m, d = rand_date()
    serial = "%03d" % R.randint(2, 899)
    ddmmyy = "%02d%02d%02d" % (d, m, y % 100)
    sign = "-" if y < 2000 else "A"
    return ddmmyy + sign + serial + \
        "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(ddmmyy + serial) % 31]


def gen_dk():
    y, m, d = rand_date()
    s = digits(4)
    # The seventh digit gives the century: 0-3 the 1900s, 4 or 9 the
    # 2000s up to 2036 (the same number of draws as a free digit).
    s = (str(int(s[0]) % 4) if y < 2000 else "49"[int(s[0]) % 2]) + s[1:]
    return "%02d%02d%02d-%s" % (d, m, y % 100, s)


def gen_at():
    while True:
        y, m, d = rand_date()
        s = digits(3, True) + "0" + "%02d%02d%02d" % (d, m, y % 100)
        w = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6]
        c = sum(w[i] * int(x) for i, x in enumerate(s)) % 11
        if c < 10:
            s = s[:3] + str(c) + s[4:]
            if sum(w[i] * int(x) for i, x in enumerate(s)) % 11 == c:
                return s[:4] + " " + s[4:]


def gen_pt():
    while True:
        s = R.choice("1235689") + digits(7)
        c = 11 - sum((9 - i) * int(x) for i, x in enumerate(s)) % 11
        return s + str(0 if c >= 10 else c)


def gen_ie():
    s = digits(7)
    total = sum((8 - i) * int(c) for i, c in enumerate(s))
    return s + "WABCDEFGHIJKLMNOPQRSTUV"[total % 23]


def gen_nino():
    first = R.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = R.choice("ABCEGHJKLMNPRSTWXYZ")
    while first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        second = R.choice("ABCEGHJKLMNPRSTWXYZ")
    d = digits(6)
    v = first + second + d + R.choice("ABCD")
    return v if R.random() < 0.5 else " ".join(
        [v[:2], d[:2], d[2:4], d[4:], v[-1]])


def gen_vat():
    kind = R.choice(["DE", "AT", "BE", "FR", "IT", "NL", "PL", "DK", "FI",
                     "SE", "LU", "PT", "ES"])
    if kind == "DE":
        s = digits(8, True)
        return "DE" + s + mod11_10_check(s)
    if kind == "AT":
        s = digits(7)
        return "ATU" + s + str((6 - sum_luhn(s)) % 10)
    if kind == "BE":
        s = "0" + digits(7, True)
        return "BE" + s + "%02d" % (97 - int(s) % 97)
    if kind == "FR":
        siren = digits(9, True)
        return "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)
    if kind == "IT":
        s = digits(7, True) + digits(3)
        return "IT" + s + luhn_digit(s)
    if kind == "NL":
        return "NL" + gen_nl_bsn() + "B0" + R.choice("123")
    if kind == "PL":
        while True:
            s = digits(9, True)
            w = [6, 5, 7, 2, 3, 4, 5, 6, 7]
            c = sum(w[i] * int(x) for i, x in enumerate(s)) % 11
            if c < 10:
                return "PL" + s + str(c)
    if kind in ("DK", "FI"):
        w = [2, 7, 6, 5, 4, 3, 2, 1] if kind == "DK" else \
            [7, 9, 10, 5, 8, 4, 2, 1]
        while True:
            s = digits(7, True)
            for last in range(10):
                if (sum(w[i] * int(x) for i, x in enumerate(s)) +
                        w[7] * last) % 11 == 0:
                    return kind + s + str(last)
    if kind == "SE":
        s = digits(9, True)
        return "SE" + s + luhn_digit(s) + "01"
    if kind == "LU":
        s = digits(6, True)
        return "LU" + s + "%02d" % (int(s) % 89)
    if kind == "PT":
        return "PT" + gen_pt()
    s = digits(8)
    return "ES" + s + DNI[int(s) % 23]


def sum_luhn(s):
    """Luhn sum of a complete number (the rightmost digit not doubled)."""
    total = 0
    for i, ch in enumerate(reversed(s)):
        v = int(ch)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10


def gen_phone():
    kind = R.random()
    if kind < 0.45:
        cc, parts = R.choice([
            ("49", lambda: "%s %s" % (R.choice(["30", "89", "40", "151",
                                                "170"]), digits(7))),
            ("33", lambda: "%s %s %s %s %s" % (R.choice("67"), digits(2),
                                               digits(2), digits(2),
                                               digits(2))),
            ("39", lambda: "3%s %s %s" % (digits(2), digits(3), digits(4))),
            ("34", lambda: "6%s %s %s" % (digits(2), digits(3), digits(3))),
            ("31", lambda: "6 %s" % digits(8)),
            ("32", lambda: "4%s %s %s %s" % (digits(2), digits(2),
                                             digits(2), digits(2))),
            ("43", lambda: "6%s %s" % (digits(2), digits(7))),
            ("48", lambda: "%s %s %s" % (digits(3, True), digits(3),
                                        digits(3))),
            ("46", lambda: "7%s %s %s" % (digits(1), digits(3), digits(4))),
            ("45", lambda: "%s %s %s %s" % (digits(2, True), digits(2),
                                            digits(2), digits(2))),
            ("44", lambda: "20 %s %s" % (digits(4), digits(4))),
            ("351", lambda: "9%s %s %s" % (digits(2), digits(3),
                                           digits(3))),
        ])
        return "%s%s %s" % (R.choice(["+", "+", "00"]), cc, parts()), False
    if kind < 0.8:
        return R.choice([
            "0%s %s" % (R.choice(["30", "89", "221", "151"]), digits(7)),
            "0%s %s %s %s %s" % (R.choice("67"), digits(2), digits(2),
                                 digits(2), digits(2)),
            "0%s/%s" % (R.choice(["30", "69", "711"]), digits(7)),
            "06-%s" % digits(8),
        ]), False
    return "0%s%s" % (R.choice(["151", "170", "6", "7"]), digits(8)), True


def gen_ip():
    if R.random() < 0.7:
        return "%d.%d.%d.%d" % (R.choice([10, 172, 192, 81, 91, 213]),
                                R.randint(0, 255), R.randint(0, 255),
                                R.randint(1, 254))
    groups = ["%x" % R.randint(1, 0xffff) for _ in range(8)]
    if R.random() < 0.5:
        return ":".join(groups)
    return ":".join(groups[:3]) + "::" + groups[7]


def gen_email():
    first = R.choice(["anna", "jan", "marie", "luca", "sofia", "erik",
                      "j.doe", "m.rossi", "kowalski", "van.dijk"])
    dom = R.choice(["example.com", "mail.example.de", "firma.example.fr",
                    "uni-example.it", "example.co.uk", "post.example.nl"])
    return "%s%s@%s" % (first, R.choice(["", str(R.randint(1, 99)), ".x"]),
                        dom)


def gen_secret():
    k = R.choice(["aws", "gh", "jwt", "url", "sk"])
    if k == "aws":
        return "AKIA" + "".join(R.choice(string.ascii_uppercase +
                                         string.digits) for _ in range(16))
    if k == "gh":
        return "ghp_" + "".join(R.choice(string.ascii_letters +
                                         string.digits) for _ in range(36))
    if k == "jwt":
        part = lambda n: "".join(R.choice(string.ascii_letters +
                                          string.digits + "-_")
                                 for _ in range(n))
        return "eyJ" + part(20) + ".eyJ" + part(30) + "." + part(40)
    if k == "sk":
        return "sk-" + "".join(R.choice(string.ascii_letters + string.digits)
                               for _ in range(32))
    return "postgres://admin:%s@" % "".join(R.choice(string.ascii_letters)
                                             for _ in range(10))


FIRST = ["Anna", "Jan", "Marie", "Luca", "Sofia", "Erik", "Jürgen", "Chiara",
         "Piotr", "Elin", "Pieter", "Lucía", "Thomas", "Camille"]
LAST = ["Müller", "Rossi", "Kowalski", "Dupont", "García", "Jansen",
        "Andersson", "Schneider", "Bianchi", "Nowak", "Lefèvre", "Visser"]


def gen_person():
    return R.choice(FIRST) + " " + R.choice(LAST)


# (type, generator, templates). {v} is the value; generators that return
# (value, needs_context) get a context template when needed.
T = {
    "EMAIL": (gen_email, [
        "Please write to {v} about the offer.", "Meine Adresse ist {v}.",
        "Écrivez-moi à {v} s'il vous plaît.", "Mi correo es {v}.",
        "Scrivimi a {v} entro lunedì.", "Mijn e-mailadres is {v}.",
        "Mój adres to {v}.", "Min e-post är {v}."]),
    "IBAN": (gen_iban, [
        "Transfer the money to {v} by Friday.", "Bitte überweisen Sie auf {v}.",
        "Mon IBAN est {v}.", "Mi cuenta IBAN: {v}", "L'IBAN è {v}.",
        "Rekeningnummer {v} graag.", "Numer konta: {v}.", "Kontot {v}."]),
    "CREDIT_CARD": (gen_card, [
        "My card number is {v}, expiry 04/27.",
        "Kreditkarte: {v} bitte belasten.", "Ma carte bancaire {v}.",
        "Tarjeta de crédito {v}.", "Carta di credito {v}.",
        "Creditcard {v}.", "Karta kredytowa {v}.", "Kortnummer {v}."]),
    "PHONE": (gen_phone, [
        "Call me on {v} tomorrow.", "Sie erreichen mich unter Tel. {v}.",
        "Mon téléphone: {v}.", "Mi teléfono es {v}.",
        "Il mio cellulare è {v}.", "Bel me op {v}.",
        "Mój numer telefonu to {v}.", "Ring mig på telefon {v}."]),
    "IP_ADDRESS": (gen_ip, [
        "The server at {v} is down.", "Der Host {v} antwortet nicht.",
        "L'adresse IP {v} est bloquée.", "Conexión desde {v}."]),
    "EU_VAT": (gen_vat, [
        "Our VAT number is {v}.", "USt-IdNr.: {v}", "N° TVA {v}.",
        "Partita IVA {v}.", "BTW-nummer {v}.", "NIP {v}."]),
    "DE_TAX_ID": (gen_de_tax, [
        "Meine Steuer-ID ist {v}.", "Steuerliche Identifikationsnummer: {v}",
        "My German tax ID is {v}."]),
    "DE_SVNR": (gen_de_svnr, [
        "Rentenversicherungsnummer {v}.", "SV-Nummer: {v}",
        "Meine Versicherungsnummer ist {v}."]),
    "FR_NIR": (gen_fr_nir, [
        "Numéro de sécurité sociale : {v}.", "Mon NIR est {v}.",
        "Social security number {v}."]),
    "ES_DNI": (gen_es_dni, ["Mi DNI es {v}.", "DNI {v}, gracias.",
                            "My Spanish ID is {v}."]),
    "ES_NIE": (gen_es_nie, ["NIE: {v}.", "Mi número de extranjero es {v}."]),
    "IT_FISCAL_CODE": (gen_it_cf, ["Il mio codice fiscale è {v}.",
                                   "Codice fiscale: {v}"]),
    "NL_BSN": (gen_nl_bsn, ["Mijn BSN is {v}.", "Burgerservicenummer: {v}",
                            "My BSN is {v}."]),
    "BE_NATIONAL_NUMBER": (gen_be_nn, ["Rijksregisternummer {v}.",
                                       "Numéro national : {v}.",
                                       "My national number is {v}."]),
    "PL_PESEL": (gen_pesel, ["Mój PESEL to {v}.", "PESEL: {v}"]),
    "SE_PERSONNUMMER": (gen_se, ["Mitt personnummer är {v}.",
                                 "Personnummer: {v}"]),
    "FI_HETU": (gen_fi, ["Henkilötunnus {v}.", "Hetu: {v}"]),
    "DK_CPR": (gen_dk, ["Mit CPR-nummer er {v}.", "CPR: {v}"]),
    "AT_SVNR": (gen_at, ["Sozialversicherungsnummer {v}.", "SVNR: {v}"]),
    "PT_NIF": (gen_pt, ["O meu NIF é {v}.", "Contribuinte n.º {v}."]),
    "IE_PPSN": (gen_ie, ["My PPS number is {v}.", "PPSN: {v}"]),
    "UK_NINO": (gen_nino, ["My National Insurance number is {v}.",
                           "NINO: {v}"]),
    "SECRET": (gen_secret, ["Use the key {v} for the API.",
                            "Der Token lautet {v}", "connect with {v}db"]),
    "PERSON": (gen_person, [
        "My name is {v} and I need help.", "Ich heiße {v}.",
        "Je m'appelle {v}.", "Me llamo {v}.", "Mi chiamo {v}.",
        "Mijn naam is {v}.", "Nazywam się {v}.", "Jag heter {v}.",
        "Yesterday {v} called about the contract.",
        "Best regards,\n{v}", "Dear Mr. {v}, thanks."]),
}

CONTEXT_PHONE = ["Tel. {v}", "Telefon {v}", "phone {v}", "mobile {v}"]
CONTEXT_CARD = ["card number {v}", "Kreditkarte {v}", "carte {v}"]

NEG = [
    lambda: "Your order %s has shipped." % digits(R.choice([9, 10, 11, 12,
                                                             13, 16]), True),
    lambda: "Bestellnummer %s, Rechnung %s." % (digits(10, True),
                                                digits(11, True)),
    lambda: "Commande n° %s et facture %s." % (digits(9, True),
                                               digits(12, True)),
    lambda: "Pedido %s enviado." % digits(11, True),
    lambda: "Ordine %s confermato." % digits(16, True),
    lambda: "Ticket #%s was closed." % digits(9, True),
    lambda: "Timestamp %s in the log." % R.randint(1500000000, 1800000000),
    lambda: "epoch ms %s" % R.randint(1500000000000, 1800000000000),
    lambda: "Created at 2024-%02d-%02dT%02d:%02d:%02dZ." % (
        R.randint(1, 12), R.randint(1, 28), R.randint(0, 23),
        R.randint(0, 59), R.randint(0, 59)),
    lambda: "Request id %08x-%04x-%04x-%04x-%012x failed." % (
        R.getrandbits(32), R.getrandbits(16), R.getrandbits(16),
        R.getrandbits(16), R.getrandbits(48)),
    lambda: "commit %040x" % R.getrandbits(160),
    lambda: "sha256 %064x" % R.getrandbits(256),
    lambda: "Upgrade to version %d.%d.%d.%d today." % (
        R.randint(1, 20), R.randint(0, 9), R.randint(0, 99),
        R.randint(0, 9999)),
    lambda: "Requires lodash@%d.%d.%d and node v%d.%d.%d." % (
        R.randint(1, 9), R.randint(0, 30), R.randint(0, 30),
        R.randint(10, 22), R.randint(0, 9), R.randint(0, 9)),
    lambda: "Total: %d %03d,%02d EUR (%s)." % (
        R.randint(1, 999), R.randint(0, 999), R.randint(0, 99),
        R.choice(["net", "brutto", "TTC"])),
    lambda: "Price $%d,%03d.%02d per year" % (R.randint(1, 99),
                                             R.randint(0, 999),
                                             R.randint(0, 99)),
    lambda: "Call the meeting at %02d:%02d in room %d." % (
        R.randint(8, 18), R.choice([0, 15, 30, 45]), R.randint(100, 999)),
    lambda: "The %s office in %s opens on %d %s." % (
        R.choice(["Paris", "Berlin", "Madrid", "Milano"]),
        R.choice(["France", "Germany", "Spain", "Italy"]),
        R.randint(1, 28), R.choice(["March", "Mai", "juin", "agosto"])),
    lambda: "ISBN 978-%d-%04d-%04d-%d" % (R.randint(0, 9), R.randint(0, 9999),
                                          R.randint(0, 9999),
                                          R.randint(0, 9)),
    lambda: "EAN %s on the box." % digits(13, True),
    lambda: "Tracking number %s." % digits(12, True),
    lambda: "for (int i = 0; i < %d; i++) x[i] = 0x%x;" % (
        R.randint(10, 999), R.getrandbits(24)),
    lambda: "IBAN-like typo %s" % group4(bad_check(iban("DE", digits(18)))),
    lambda: "Card ending %s" % bad_luhn(),
    lambda: "Steuer-ID %s (falsch)" % bad_last(gen_de_tax().replace(" ", "")),
    lambda: "PESEL %s nieprawidłowy" % bad_last(gen_pesel()),
    lambda: "BSN %s ongeldig" % bad_last(gen_nl_bsn()),
    lambda: "The quick brown fox jumps over %d lazy dogs near Lake Geneva."
    % R.randint(2, 99),
    lambda: "Version %d.%d released on %02d.%02d.%d with %d fixes." % (
        R.randint(1, 9), R.randint(0, 9), R.randint(1, 28), R.randint(1, 12),
        R.randint(2015, 2026), R.randint(1, 99)),
    lambda: "Matrix [[%d, %d], [%d, %d]] and port %d." % (
        R.randint(0, 99), R.randint(0, 99), R.randint(0, 99),
        R.randint(0, 99), R.randint(1024, 65535)),
]


def bad_check(v):
    c = int(v[2:4])
    return v[:2] + "%02d" % ((c + 1) % 100) + v[4:]


def bad_last(v):
    return v[:-1] + str((int(v[-1]) + 1) % 10)


def bad_luhn():
    body = "4" + digits(14)
    return group4(body + str((int(luhn_digit(body)) + 1) % 10))


def emit(text, spans, kind):
    b = text.encode()
    out = []
    for start, end, t in spans:
        out.append([len(text[:start].encode()), len(text[:end].encode()), t])
    print(json.dumps({"text": text, "spans": out, "kind": kind},
                     ensure_ascii=False))


def main():
    for _ in range(COPIES):
        for t, (gen, templates) in T.items():
            for tpl in templates:
                v = gen()
                if isinstance(v, tuple):
                    v, needs = v
                    if needs:
                        tpl = R.choice(CONTEXT_PHONE if t == "PHONE"
                                       else CONTEXT_CARD)
                start = tpl.index("{v}")
                text = tpl.replace("{v}", v)
                emit(text, [(start, start + len(v), t)], "positive")
        for neg in NEG:
            emit(neg(), [], "negative")


main()
