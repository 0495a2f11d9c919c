/*
 * The word lists of PERSON detection: the compiled-in name data
 * (pii_names_data, from policy/names/) and the context words below, in
 * two open-addressing hash tables built once per engine.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pii_names.h"

extern const char pii_names_data[];
extern const size_t pii_names_data_len;

/*
 * Context words, lower case, in English, German, French, Spanish, Italian,
 * Dutch, Polish, Swedish, Danish, Norwegian, Finnish and Portuguese.
 */

/* Honorifics, titles, offices and roles that stand before a name. */
static const char *const titles[] = {
	"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame",
	"lady", "lord", "herr", "herrn", "frau", "hr", "fr", "monsieur",
	"madame", "mademoiselle", "mme", "mlle", "m", "señor", "señora",
	"señorita", "sr", "sra", "srta", "don", "doña", "signor", "signora",
	"signorina", "sig", "dott", "dottor", "dottore", "dottoressa", "ing",
	"avv", "dhr", "mevr", "mevrouw", "meneer", "mej", "pan", "pani",
	"panu", "pana", "panem", "panią", "państwo", "hr", "fru", "fröken",
	"herra", "rouva", "neiti", "senhor", "senhora", "sr", "sra", "dona",
	"doutor", "doutora", "president", "presidente", "präsident",
	"präsidentin", "président", "présidente", "prezydent", "presidentti",
	"minister", "ministerin", "ministre", "ministro", "ministra",
	"ministeri", "premier", "premiärminister", "statsminister",
	"pääministeri", "kanzler", "kanzlerin", "bundeskanzler",
	"bundeskanzlerin", "chancellor", "senator", "senatorin", "sénateur",
	"senador", "senadora", "senatore", "senaattori", "kansanedustaja",
	"abgeordnete", "abgeordneter", "député", "deputado", "deputowany",
	"poseł", "posłanka", "kamerleden", "kamerlid", "riksdagsledamot",
	"mayor", "bürgermeister", "bürgermeisterin", "maire", "alcalde",
	"sindaco", "burgemeester", "burmistrz", "prefeito", "borgmester",
	"ordfører", "pormestari", "governor", "gouverneur", "governatore",
	"gobernador", "governador", "general", "generał", "generale",
	"général", "oberst", "colonel", "colonnello", "coronel", "pułkownik",
	"kapitän", "captain", "capitaine", "capitano", "capitán", "kapitein",
	"kapten", "kaptajn", "kaptein", "kapteeni", "coach", "trainer",
	"trainerin", "trener", "allenatore", "entraîneur", "entrenador",
	"tränare", "træner", "valmentaja", "treinador", "professor",
	"professorin", "professore", "professoressa", "professeur",
	"profesor", "profesora", "professori", "hoogleraar", "docent",
	"doktor", "doctor", "doctora", "tohtori", "dokter", "bischof",
	"erzbischof", "bishop", "archbishop", "évêque", "vescovo", "obispo",
	"biskop", "biskup", "piispa", "bisschop", "pastor", "pfarrer",
	"pastorin", "priest", "prêtre", "padre", "father", "pater",
	"schwester", "sister", "brother", "bruder", "frère", "fratello",
	"papst", "pope", "pape", "papa", "paus", "papież", "påve", "pave",
	"paavi", "king", "könig", "roi", "rey", "re", "koning", "król",
	"kung", "konge", "kuningas", "rei", "queen", "königin", "reine",
	"reina", "regina", "koningin", "królowa", "drottning", "dronning",
	"kuningatar", "rainha", "prince", "prinz", "prinzessin", "princesse",
	"príncipe", "principe", "prins", "prinses", "prinsessa", "książę",
	"staatsanwalt", "oberstaatsanwalt", "anwalt", "anwältin",
	"rechtsanwalt", "rechtsanwältin", "richter", "richterin", "judge",
	"juge", "giudice", "juez", "jueza", "juiz", "juíza", "rechter",
	"sędzia", "domare", "dommer", "tuomari", "relator", "relatora",
	"desembargador", "desembargadora", "advogado", "advogada", "avocat",
	"avocate", "lawyer", "attorney", "advocaat", "adwokat", "advokat",
	"asianajaja", "director", "direktor", "direktorin", "directeur",
	"directrice", "direttore", "direttrice", "directora", "diretor",
	"diretora", "dyrektor", "johtaja", "ceo", "chef", "chefin",
	"geschäftsführer", "geschäftsführerin", "vorstand", "sprecher",
	"sprecherin", "spokesman", "spokeswoman", "spokesperson",
	"porte-parole", "portavoce", "portavoz", "woordvoerder", "rzecznik",
	"talesperson", "talsman", "talskvinde", "tiedottaja", "kollege",
	"kollegin", "colleague", "collègue", "collega", "colega", "kolega",
	"kollega", "patient", "patientin", "paciente", "paziente",
	"pacjent", "pacjentka", "potilas", "cliente", "kunde", "kundin",
	"klant", "klient", "klientka", "asiakas", "client", "customer",
	"agent", "inspector", "inspektor", "kommissar", "kommissarin",
	"commissaris", "commissaire", "commissario", "comisario",
	"komisarz", "sergeant", "sergent", "sergente", "sargento",
	"leutnant", "lieutenant", "tenente", "teniente", "tenente", "major",
	"majoor", "kardinal", "cardinal", "cardinale", "kardynał", "rabbi",
	"rabin", "imam", "abt", "abbé", "abate", "abad", "ks", "ksiądz",
	"onkel", "uncle", "oncle", "zio", "tío", "tio", "oom", "wujek",
	"farbror", "morbror", "setä", "eno", "tante", "aunt", "zia", "tía",
	"tia", "ciocia", "moster", "faster", "täti", "opa", "oma", "grandpa",
	"grandma", "dziadek", "babcia", "mormor", "farmor", "morfar",
	"farfar", "mummo", "vaari", "sohn", "tochter", "son", "daughter",
	"fils", "fille", "figlio", "figlia", "hijo", "hija", "filho",
	"filha", "zoon", "dochter", "syn", "córka", "dotter", "datter",
	"poika", "tytär", "frau", "mann", "wife", "husband", "épouse",
	"époux", "mari", "moglie", "marito", "esposa", "esposo", "marido",
	"vrouw", "echtgenote", "żona", "mąż", "hustru", "maka", "kone",
	"hustru", "vaimo", "aviomies", "mulher", "sir", "mister", "missis",
	"mrs", "madam", "dame", "messrs", "mesdames", "messieurs", "ir",
	"drs", "mr", "ing", "dipl", "mag", "mgr", "inż", "lic", "st",
	"saint", "sankt", "santo", "san", "santa", "são", "sint", "święty",
	"pyhä", "gebroeders", "brüder", "maestro", "maître", "meester",
	"mästare", "monsignore", "monseigneur", "nuncio", "astronaut",
	"astronauta", "kommissionär", "kommissær", "chairman",
	"chairwoman", "vorsitzende", "vorsitzender", "présidente",
	"voorzitter", "przewodniczący", "ordförande", "formand",
	"puheenjohtaja", "presidenta", "emperor", "kaiser", "kaiserin",
	"empereur", "imperatore", "emperador", "keizer", "cesarz",
	"kejsare", "kejser", "keisari", "imperador", "imperatriz",
	"impératrice", "imperatrice", "emperatriz", "tsar", "zar", "car",
	"sultan", "sultán", "dalai", "ayatollah", "sheikh", "scheich",
	"cheikh", "jeque", "szejk", "voorzitter", "ploegleider", "winnaar",
	"winner", "sieger", "vainqueur", "vincitore", "ganador",
	"vencedor", "zwycięzca", "vinnare", "vinder", "voittaja",
	"manager", "teamchef", "leider", "leader", "führer", "chef",
	"kapellmeister", "dirigent", "conductor", "componist", "composer",
	"komponist", "compositeur", "compositore", "compositor",
	"kompozytor", "säveltäjä", "regisseur", "réalisateur", "regista",
	"director", "reżyser", "regissör", "instruktør", "ohjaaja",
	"schrijver", "schriftsteller", "writer", "author", "écrivain",
	"scrittore", "escritor", "pisarz", "författare", "forfatter",
	"kirjailija", "zanger", "zangeres", "sänger", "sängerin", "singer",
	"chanteur", "chanteuse", "cantante", "piosenkarz", "sångare",
	"sanger", "laulaja", "cantor", "cantora", "actor", "actress",
	"schauspieler", "schauspielerin", "acteur", "actrice", "attore",
	"attrice", "actriz", "ator", "atriz", "aktor", "aktorka",
	"skådespelare", "skuespiller", "näyttelijä", "acteur", "speler",
	"spieler", "spielerin", "player", "joueur", "joueuse",
	"giocatore", "jugador", "jogador", "zawodnik", "spelare",
	"spiller", "pelaaja", "schrijfster", "journalist", "journalistin",
	"journaliste", "giornalista", "periodista", "jornalista",
	"dziennikarz", "toimittaja", "fotograf", "photographer",
	"photographe", "fotografo", "fotógrafo", "valokuvaaja", "minister",
	"staatssecretaris", "staatssekretär", "secretary", "secrétaire",
	"segretario", "secretario", "secretário", "sekretarz", "sekreterare",
	"sekretær", "sihteeri", "ambassador", "botschafter", "ambassadeur",
	"ambasciatore", "embajador", "embaixador", "ambasador", "ambassadör",
	"suurlähettiläs", "professori", "dosentti", "filosoof", "philosoph",
	"philosopher", "philosophe", "filosofo", "filósofo", "filozof",
	"filosof", "filosofi", "historicus", "historiker", "historian",
	"historien", "storico", "historiador", "historyk", "tutkija",
	"onderzoeker", "forscher", "researcher", "chercheur", "ricercatore",
	"investigador", "pesquisador", "badacz", "forskare", "forsker",
	"econoom", "ökonom", "economist", "économiste", "economista",
	"ekonomista", "ekonom", "ekonomi", "bondscoach", "bundestrainer",
	"ct", "bestuurder", "gedelegeerd", "topman", "bondsvoorzitter",
	"partijvoorzitter", "fractieleider", "parteichef", "parteivorsitzende",
	"landeshauptmann", "ministerpräsident", "ministerpresident",
	"premier", "premiere", "statsråd", "justitieminister",
	"puolustusministeri", "ulkoministeri", "valtiovarainministeri",
	"toimitusjohtaja", "hallituksen", "kansanedustaja", "dear", "hi",
	"hello", "hey", "liebe", "lieber", "hallo", "servus", "moin",
	"bonjour", "salut", "cher", "chère", "hola", "querido", "querida",
	"estimado", "estimada", "ciao", "caro", "cara", "gentile",
	"gentilissimo", "gentilissima", "egregio", "beste", "geachte",
	"hoi", "cześć", "drogi", "droga", "szanowny", "szanowna", "hej",
	"hejsan", "kära", "käre", "kære", "kjære", "hei", "moi", "hyvä",
	"olá", "oi", "prezado", "prezada", "caríssimo", NULL
};

/* Verbs of saying and "according to": the name follows or precedes. */
static const char *const say[] = {
	"said", "says", "told", "asked", "added", "explained", "replied",
	"wrote", "according", "sagte", "sagt", "meinte", "meint", "erklärte",
	"erklärt", "betonte", "betont", "fragte", "fragt", "schrieb",
	"berichtete", "laut", "sagten", "dit", "déclare", "déclaré",
	"affirme", "affirmé", "explique", "expliqué", "ajoute", "ajouté",
	"selon", "raconte", "raconté", "dijo", "dice", "afirmó", "explicó",
	"añadió", "según", "declaró", "disse", "detto", "afferma", "ha",
	"spiega", "spiegato", "aggiunge", "secondo", "racconta", "zei",
	"zegt", "aldus", "vertelt", "vertelde", "meent", "volgens",
	"verklaarde", "legt", "vroeg", "powiedział", "powiedziała", "mówi",
	"twierdzi", "według", "dodał", "dodała", "pisze", "napisał",
	"säger", "sade", "berättar", "berättade", "enligt", "skriver",
	"frågar", "siger", "sagde", "fortæller", "fortalte", "ifølge",
	"skriver", "spørger", "sier", "seier", "spør", "forteller",
	"fortel", "uttaler", "sa", "sanoo", "sanoi", "kertoo", "kertoi",
	"totesi", "toteaa", "mukaan", "kysyi", "kysyy", "kirjoittaa",
	"diz", "afirmou", "explicou", "segundo", "declarou", "contou",
	"escreveu", "kritisierte", "kritisiert", "nannte", "bestätigte",
	"bestätigt", "forderte", "fordert", "warnte", "warnt", "ergänzte",
	"ergänzt", "sprach", "spricht", "antwortete", "entgegnete",
	"berichtet", "schreibt", "kündigte", "lobte", "betonte",
	"criticized", "confirmed", "warned", "announced", "stated",
	"noted", "insisted", "admitted", "answered", "responded", "claimed",
	"critique", "confirme", "confirmé", "annonce", "annoncé",
	"précise", "précisé", "estime", "souligne", "souligné", "critica",
	"conferma", "annuncia", "sottolinea", "spiega", "afferma",
	"confirmó", "anunció", "señaló", "aseguró", "criticó", "indicó",
	"bevestigde", "bevestigt", "verklaart", "benadrukte",
	"waarschuwde", "kondigde", "bekräftar", "bekräftade", "menar",
	"menade", "konstaterar", "bekræfter", "bekræftede", "mener",
	"mente", "bekrefter", "bekreftet", "mener", "meinte", "arvioi",
	"vahvistaa", "vahvisti", "korosti", "muistuttaa", "potwierdził",
	"potwierdziła", "podkreślił", "podkreśliła", "zapowiedział",
	"ocenił", "ocenia", "confirmou", "anunciou", "criticou",
	"ressaltou", "destacou", NULL
};

/* Particles inside names. */
static const char *const particles[] = {
	"van", "von", "der", "den", "de", "del", "della", "degli", "dei",
	"di", "da", "das", "dos", "do", "du", "des", "la", "le", "lo", "ten",
	"ter", "te", "zu", "zum", "zur", "af", "av", "bin", "ibn", "al",
	"el", "y", "e", "mac", "ap", "'t", NULL
};

/* German function words (and those that no other language uses). */
static const char *const german[] = {
	"der", "die", "das", "und", "nicht", "ist", "ein", "eine", "einen",
	"einem", "einer", "eines", "mit", "sich", "auf", "für", "wurde",
	"wird", "auch", "dass", "daß", "zum", "zur", "bei", "aus", "nach",
	"über", "wie", "werden", "haben", "hat", "sind", "war", "dem",
	"vom", "im", "sie", "ich", "wir", "ihr", "kein", "keine", "noch",
	"nur", "oder", "aber", "wenn", "als", "sei", "seit", "nicht",
	"durch", "gegen", "ohne", "unter", "zwischen", "diese", "dieser",
	"dieses", "sein", "seine", "seiner", "ihre", "ihren", "wurden",
	"kann", "muss", "soll", "will", "habe", "hatte", "hier", "dort",
	"schon", "sehr", "mehr", "immer", "wieder", "jetzt", "mein", "meine",
	"meinen", "meinem", "meiner", "dein", "deine", "unser", "unsere",
	"euer", "eure", "ihm", "ihn", "uns", "euch", "mich", "mir", "dich",
	"dir", "wer", "was", "wo", "warum", "weil", "denn", "doch", "dann",
	"also", "bitte", "danke", "nein", "gibt", "geht", "gehen", "macht",
	"machen", "sagen", "heute", "morgen", "gestern", "zwei", "drei",
	"viele", "vielen", "alle", "allen", "jeder", "jede", "jedes",
	"einmal", "nichts", "etwas", "ganz", "gut", "neue", "neuen", "großen",
	"gegen", "während", "sowie", "bereits", "zwar", "jedoch", "sondern",
	"damit", "dabei", "darauf", "dazu", "davon", "wieder",
	"hatten", "wären", "wäre", "würde", "könnte", "sollte", "müssen",
	"können", "dürfen", "wollen", "ihnen", "ihrer", "ihrem", "seinen",
	"seinem", "diesem", "diesen", "einige", "anderen", "ersten", "beim",
	"ins", "ans", "am", "um", "bis", "vor", "hinter", "neben", "zwischen",
	NULL
};

/* Function words of the other languages. */
static const char *const others[] = {
	"the", "and", "of", "is", "was", "to", "in", "that", "with", "for",
	"il", "la", "le", "les", "et", "est", "un", "une", "che", "di",
	"per", "non", "het", "een", "van", "zijn", "och", "att", "är",
	"som", "det", "og", "at", "til", "ikke", "på", "jest", "się",
	"nie", "na", "że", "os", "as", "em", "que", "não", "é", "ja", "on",
	"ei", "se", "että", "oli", "ovat", "ole", "mutta", "kun", "myös",
	"del", "los", "las", "por", "con", "una", "pour", "dans", "sur",
	"qui", "pas", "avec", "sont", "dei", "della", "sono", "hanno",
	"niet", "ook", "wordt", "werd", "voor", "maar", "naar", "har",
	"inte", "också", "eller", "om", "men", "af", "ble", "blev", "er",
	"av", "jeg", "eg", "ikkje", "också", "var", "ett", "en", "my",
	"your", "his", "her", "our", "their", "we", "you", "he", "she",
	"it", "they", "i", "me", "a", "an", "this", "these", "those",
	"there", "here", "what", "who", "when", "where", "why", "how", "if",
	"but", "or", "not", "no", "yes", "are", "be", "been", "have", "has",
	"had", "do", "does", "did", "will", "would", "can", "could",
	"should", "please", "thanks", "hello", "hi", "ze", "nu", "mee",
	"daar", "dat", "hij", "zij", "ik", "je", "jij", "wij", "jullie",
	"geen", "nog", "wel", "uit", "bij", "te", "heeft", "hebben", "zal",
	"kan", "moet", "deze", "dit", "toen", "als", "ons", "onze", "mijn",
	"je", "tu", "il", "elle", "nous", "vous", "ils", "elles", "ce",
	"cette", "mais", "ou", "donc", "ne", "yo", "él", "ella", "nosotros",
	"ellos", "pero", "este", "esta", "io", "lui", "lei", "noi", "voi",
	"loro", "questo", "questa", "ma", "anche", "jag", "du", "han",
	"hon", "vi", "ni", "de", "dem", "hun", "dig", "mig", "ja", "ty",
	"my", "wy", "oni", "ale", "to", "ten", "ta", "minä", "sinä", "hän",
	"me", "te", "he", "tämä", "se", "eu", "ele", "ela", "nós", "eles",
	"mas", "este", "esta", "isso", "el", "lo", "gli", "des", "du",
	"au", "aux", "o", "um", "uma", "het", NULL
};

/* Words before a colon and a name. */
static const char *const labels[] = {
	"name", "naam", "nom", "nombre", "nome", "imię", "nazwisko", "namn",
	"navn", "nimi", "vorname", "nachname", "prénom", "apellido",
	"cognome", "sobrenome", "achternaam", "voornaam", "efternamn",
	"förnamn", "efternavn", "fornavn", "etunimi", "sukunimi", "user",
	"patient", "client", "customer", "kunde", "klant", "from", "von",
	"to", "an", "contact", "kontakt", "contatto", "contacto", "author",
	"autor", "auteur", "autore", "signed", "gez", "by", "cc", "attn",
	"z.hd", "owner", "account", "holder", "inhaber", "titulaire",
	"titular", "titolare", "employee", "mitarbeiter", "applicant",
	"bewerber", "candidat", "candidato", "kandydat", "sökande", NULL
};

/* Months, days, nationalities and languages: capitalized in English (and
 * German) and no names. */
static const char *const months[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december", "monday",
	"tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"januar", "februar", "märz", "mai", "juni", "juli", "oktober",
	"dezember", "montag", "dienstag", "mittwoch", "donnerstag",
	"freitag", "samstag", "sonnabend", "sonntag", "jänner", "januari",
	"februari", "maart", "mei", "augustus", "juni", "juli", "oktober",
	"christmas", "easter", "weihnachten", "ostern", "pfingsten",
	"english", "german", "french", "spanish", "italian", "dutch",
	"polish", "swedish", "danish", "norwegian", "finnish", "portuguese",
	"european", "american", "british", "irish", "scottish", "welsh",
	"austrian", "swiss", "belgian", "greek", "turkish", "russian",
	"ukrainian", "chinese", "japanese", "korean", "indian", "arabic",
	"arab", "african", "asian", "australian", "canadian", "mexican",
	"brazilian", "argentine", "argentinian", "czech", "slovak",
	"hungarian", "romanian", "bulgarian", "croatian", "serbian",
	"slovenian", "estonian", "latvian", "lithuanian", "icelandic",
	"jewish", "muslim", "christian", "catholic", "protestant",
	"islamic", "hebrew", "latin", "persian", "egyptian", "israeli",
	"palestinian", "iranian", "iraqi", "syrian", "lebanese", "moroccan",
	"algerian", "nigerian", "vietnamese", "thai", "indonesian",
	"filipino", "pakistani", "cuban", "chilean", "peruvian",
	"colombian", "venezuelan", "scandinavian", "nordic", "baltic",
	"internet", "web", "bible", "god", "gott", "dieu", "dios", "dio",
	"deus", "bóg", "gud", "jumala", "allah", "hetu", "henkilötunnus",
	"personnummer", "pesel", "regon", "krs", "nip", "bsn", "cpr", "nif",
	"nie", "dni", "cif", "iban", "bic", "swift", "tel", "fax", "email",
	"mail", "phone", "telefon", "telefoon", "mobil", "mobile", "handy",
	"steuernummer", "rechnung", "invoice", "facture", "factura",
	"fattura", "factuur", "faktura", "lasku", "fatura", NULL
};

/* Words that make a capitalized sequence an organization or a place. */
static const char *const orgs[] = {
	"gmbh", "ag", "kg", "se", "inc", "ltd", "llc", "plc", "corp", "co",
	"sa", "sas", "sarl", "spa", "srl", "bv", "nv", "ab", "as", "asa",
	"oy", "oyj", "aps", "sp", "bank", "university", "universität",
	"université", "universidad", "università", "universiteit",
	"uniwersytet", "universitet", "yliopisto", "universidade", "group",
	"gruppe", "groupe", "grupo", "gruppo", "groep", "grupa", "koncern",
	"institute", "institut", "instituto", "istituto", "instituut",
	"instytut", "foundation", "stiftung", "fondation", "fundación",
	"fondazione", "stichting", "fundacja", "stiftelse", "fond",
	"säätiö", "fundação", "street", "straße", "strasse", "road",
	"avenue", "rue", "calle", "via", "straat", "ulica", "gatan", "gade",
	"gate", "katu", "rua", "platz", "square", "place", "plaza",
	"piazza", "plein", "plac", "torget", "torv", "tori", "praça",
	"hotel", "airport", "flughafen", "aéroport", "aeropuerto",
	"aeroporto", "luchthaven", "lotnisko", "flygplats", "lufthavn",
	"lentoasema", "lentokenttä", "stadium", "stadion", "stade",
	"estadio", "stadio", "estádio", "church", "kirche", "église",
	"iglesia", "chiesa", "kerk", "kościół", "kyrka", "kirke", "kirkko",
	"igreja", "school", "schule", "école", "escuela", "scuola", "szkoła",
	"skola", "skole", "koulu", "escola", "park", "river", "lake",
	"mountain", "island", "county", "city", "valley", "fc", "ac", "sc",
	"club", "verein", "party", "partei", "parti", "partido", "partito",
	"partij", "partia", "partiet", "puolue", "ministry", "ministerium",
	"ministère", "ministerio", "ministero", "ministerie",
	"ministerstwo", "departement", "department", "council", "rat",
	"conseil", "consejo", "consiglio", "raad", "rada", "rådet", "neuvosto",
	"conselho", "court", "gericht", "tribunal", "tribunale", "rechtbank",
	"sąd", "domstol", "tuomioistuin", "news", "times", "post", "press",
	"zeitung", "journal", "magazine", "records", "airlines", "motors",
	"systems", "technologies", "software", "labs", "solutions",
	"services", "holding", "holdings", "partners", "consulting", "team",
	"state", "staat", "état", "estado", "stato", "stati", "państwo",
	"staten", "valtio", "government", "regierung", "gouvernement",
	"gobierno", "governo", "regering", "rząd", "regeringen", "hallitus",
	"parliament", "parlament", "parlement", "parlamento", "sejm",
	"riksdag", "folketing", "storting", "stortinget", "eduskunta",
	"congress", "kongress", "congrès", "congreso", "congresso",
	"senate", "senat", "sénat", "senado", "senato", "region", "regione",
	"región", "região", "comune", "commune", "gemeinde", "gemeente",
	"kommune", "kommun", "kunta", "município", "municipio", "province",
	"provinz", "provincia", "provincie", "prowincja", "provins",
	"maakunta", "república", "republic", "republik", "république",
	"repubblica", "republiek", "republika", "tasavalta", "união",
	"union", "unión", "unione", "unie", "unia", "unionen", "europa",
	"europe", "nations", "nazioni", "naciones", "nações", "corte",
	"cour", "supremo", "suprema", "federal", "nacional", "national",
	"nazionale", "nationale", NULL
};

/* Prepositions before places. */
static const char *const locative[] = {
	"in", "at", "from", "into", "near", "nach", "aus", "nahe", "à",
	"dans", "vers", "au", "aux", "près", "a", "desde", "hacia", "em",
	"para", "naar", "uit", "bij", "w", "we", "z", "ze", "do", "pod",
	"i", "från", "till", "fra", "til", "ved", "nära", "nær", NULL
};

/* Articles: what follows is a noun more often than a person. */
static const char *const articles[] = {
	"the", "a", "an", "der", "die", "das", "den", "dem", "des", "ein",
	"eine", "einen", "einem", "einer", "het", "een", "le", "la", "les",
	"l", "el", "los", "las", "il", "lo", "gli", "un", "une", "una",
	"uno", "os", "as", "um", "uma", "this", "that", "these", "our",
	"your", "their", "its", NULL
};

/* Conjunctions between two names. */
static const char *const conjunctions[] = {
	"and", "und", "et", "y", "e", "en", "och", "og", "ja", "i", "oraz",
	"sowie", "or", "oder", "ou", "o", "of", "eller", "tai", "lub",
	"albo", "vs", "versus", "contre", "gegen", "contra", "tegen",
	"mot", "vastaan", "przeciw", "with", "mit", "avec", "con", "com",
	"met", "med", "z", NULL
};

struct ctx_word {
	const char *s;
	uint32_t hash, len;
	unsigned flags;
};

/*
 * A slot of the name table: a second hash of the word (24 bits, never 0 in
 * a used slot) and its flags (8 bits). The words themselves are not kept:
 * a lookup reads one slot of a table small enough for the cache, and two
 * hashes agree by chance once in 2^24 probes of a missing word.
 */
struct pii_names {
	uint32_t *slot;		/* hash2 << 8 | flags */
	uint32_t mask;
	struct ctx_word *ctx;	/* the context words */
	uint32_t cmask;
	size_t n_ctx;
	unsigned char lower[256];	/* ASCII lowered; 0 for the others */
};

static uint32_t
hash_seed(const char *w, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)w[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

static uint32_t
hash(const char *w, size_t n)
{
	return hash_seed(w, n, 2166136261u);
}


/* The length of the line at off in the data. */
static size_t
line_len(size_t off)
{
	const char *p = pii_names_data + off;
	const char *nl = memchr(p, '\n', pii_names_data_len - off);

	return nl != NULL ? (size_t)(nl - p) : pii_names_data_len - off;
}

/* The slot of fingerprint h2 for a word of hash h: where it is, or the
 * empty one where it goes. */
static uint32_t
slot_of(const struct pii_names *t, uint32_t h, uint32_t h2)
{
	uint32_t i = h & t->mask;

	while (t->slot[i] != 0 && t->slot[i] >> 8 != h2)
		i = (i + 1) & t->mask;
	return i;
}

/* Both hashes of w in one pass: hash() into *h, the fingerprint (24
 * bits, never 0) into *h2. */
static void
hash2(const char *w, size_t n, uint32_t *h, uint32_t *h2)
{
	uint32_t a = 2166136261u, b = 0x9747b28cu;

	for (size_t k = 0; k < n; k++) {
		a = (a ^ (unsigned char)w[k]) * 16777619u;
		b = (b ^ (unsigned char)w[k]) * 16777619u;
	}
	*h = a ^ (a >> 15);
	b = ((b ^ (b >> 15)) * 0x85ebca6bu) >> 8;
	*h2 = b != 0 ? b : 1;
}

/* The slot of w: where it is, or the empty one where it goes; *fp is
 * its fingerprint. */
static uint32_t
find_slot(const struct pii_names *t, const char *w, size_t n, uint32_t *fp)
{
	uint32_t h;

	hash2(w, n, &h, fp);
	return slot_of(t, h, *fp);
}

static void
ctx_add(struct pii_names *t, const char *const *words, unsigned flags)
{
	for (size_t k = 0; words[k] != NULL; k++) {
		size_t n = strlen(words[k]);
		uint32_t i = hash(words[k], n) & t->cmask;

		/* The lists are far smaller: a full table is a bug. */
		if (++t->n_ctx > t->cmask / 2)
			abort();
		while (t->ctx[i].s != NULL && (t->ctx[i].len != n ||
		    memcmp(t->ctx[i].s, words[k], n) != 0))
			i = (i + 1) & t->cmask;
		t->ctx[i].s = words[k];
		t->ctx[i].hash = hash(words[k], n);
		t->ctx[i].len = (uint32_t)n;
		t->ctx[i].flags |= flags;
	}
}

struct pii_names *
pii_names_new(void)
{
	static const struct {
		const char *name;
		unsigned flag;
	} sections[] = {
		{ "@given", PII_NAME_GIVEN }, { "@surnames", PII_NAME_SURNAME },
		{ "@ambiguous", PII_NAME_AMBIGUOUS },
		{ "@ambiguous-de", PII_NAME_AMBIGUOUS_DE },
		{ "@not-names", PII_NAME_NOT },
		{ "@en-words", PII_NAME_EN_WORD },
	};
	struct pii_names *t = calloc(1, sizeof(*t));
	size_t lines = 0, size = 1, off = 0;
	unsigned flag = 0;

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < pii_names_data_len; i++)
		lines += pii_names_data[i] == '\n';
	while (size < lines + lines / 2)
		size *= 2;
	t->mask = (uint32_t)size - 1;
	t->cmask = 8192 - 1;
	for (int c = 1; c < 0x80; c++)
		t->lower[c] = (unsigned char)(c >= 'A' && c <= 'Z' ?
		    c + 32 : c);
	t->slot = calloc(size, sizeof(*t->slot));
	t->ctx = calloc(t->cmask + 1, sizeof(*t->ctx));
	if (t->slot == NULL || t->ctx == NULL) {
		pii_names_free(t);
		return NULL;
	}
	while (off < pii_names_data_len) {
		size_t n = line_len(off);
		uint32_t i, fp;

		if (n > 0 && pii_names_data[off] == '@') {
			flag = 0;
			for (size_t k = 0; k < sizeof(sections) /
			    sizeof(sections[0]); k++)
				if (strlen(sections[k].name) == n &&
				    memcmp(sections[k].name,
				    pii_names_data + off, n) == 0)
					flag = sections[k].flag;
		} else if (n > 0 && n < 64) {
			i = find_slot(t, pii_names_data + off, n, &fp);
			t->slot[i] |= fp << 8 | flag;
		}
		off += n + 1;
	}
	ctx_add(t, titles, PII_NAME_TITLE);
	ctx_add(t, say, PII_NAME_SAY);
	ctx_add(t, particles, PII_NAME_PARTICLE);
	ctx_add(t, german, PII_NAME_DE);
	ctx_add(t, others, PII_NAME_FUNC);
	ctx_add(t, labels, PII_NAME_LABEL);
	ctx_add(t, months, PII_NAME_MONTH);
	ctx_add(t, orgs, PII_NAME_ORG);
	ctx_add(t, locative, PII_NAME_LOC);
	ctx_add(t, articles, PII_NAME_ARTICLE);
	ctx_add(t, conjunctions, PII_NAME_CONJ);
	return t;
}

void
pii_names_free(struct pii_names *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	free(t->ctx);
	free(t);
}

/* The flags of the context word w (n bytes, hash h), 0 when none. */
static unsigned
ctx_find(const struct pii_names *t, const char *w, size_t n, uint32_t h)
{
	uint32_t i = h & t->cmask;

	while (t->ctx[i].s != NULL) {
		const struct ctx_word *c = &t->ctx[i];

		if (c->hash == h && c->len == n) {
			size_t k = 0;

			while (k < n && c->s[k] == w[k])
				k++;
			if (k == n)
				return c->flags;
		}
		i = (i + 1) & t->cmask;
	}
	return 0;
}

unsigned
pii_names_context(const struct pii_names *t, const char *w, size_t n)
{
	if (n == 0 || n >= 40 || (unsigned char)w[0] < 'a')
		return 0;
	return ctx_find(t, w, n, hash(w, n));
}

unsigned
pii_names_get(const struct pii_names *t, const char *w, size_t n)
{
	uint32_t h, fp;
	unsigned f;

	if (n == 0 || n >= 64)
		return 0;
	hash2(w, n, &h, &fp);
	f = t->slot[slot_of(t, h, fp)] & 0xff;
	if (n < 40 && (unsigned char)w[0] >= 'a')
		f |= ctx_find(t, w, n, h);
	return f;
}

unsigned
pii_names_lower(const struct pii_names *t, const char *w, size_t n,
    unsigned *table)
{
	char buf[PII_NAMES_WORD_MAX];
	uint32_t a = 2166136261u, b = 0x9747b28cu, h, h2;
	size_t i;
	unsigned f = 0;

	if (table != NULL)
		*table = 0;
	if (n == 0 || n >= PII_NAMES_WORD_MAX)
		return 0;
	/* The common case, ASCII: folded and hashed (hash2()) at once. */
	for (i = 0; i < n; i++) {
		unsigned char c = t->lower[(unsigned char)w[i]];

		if (c == 0)
			break;	/* not ASCII (or a NUL): the long way */
		buf[i] = (char)c;
		a = (a ^ c) * 16777619u;
		b = (b ^ c) * 16777619u;
	}
	if (i < n) {
		pii_names_fold(w, n, buf, 1);
		hash2(buf, n, &h, &h2);
	} else {
		h = a ^ (a >> 15);
		b = ((b ^ (b >> 15)) * 0x85ebca6bu) >> 8;
		h2 = b != 0 ? b : 1;
	}
	if (n < 40 && (unsigned char)buf[0] >= 'a')
		f = ctx_find(t, buf, n, h);
	if (table != NULL)
		*table = (t->slot[slot_of(t, h, h2)] & 0xff) | f;
	return f;
}

size_t
pii_names_fold(const char *w, size_t n, char *buf, int all)
{
	size_t i = 0, k;

	if (n >= PII_NAMES_WORD_MAX)
		return 0;
	if (!all && n > 0) {
		buf[0] = w[0];
		i = 1;
	}
	/* The common case: ASCII, copied and lowered in one pass. */
	for (; i < n && (unsigned char)w[i] < 0x80; i++)
		buf[i] = (char)((unsigned char)(w[i] - 'A') < 26 ? w[i] + 32 :
		    w[i]);
	if (i == n)
		return n;
	memcpy(buf + i, w + i, n - i);
	while (i < n) {
		int cl;

		if ((unsigned char)buf[i] < 0x80) {
			if ((unsigned char)(buf[i] - 'A') < 26 &&
			    (all || i > 0))
				buf[i] = (char)(buf[i] + 32);
			i++;
			continue;
		}
		cl = pii_names_letter(buf, n, i, &k);

		if (cl == PII_L_UPPER && (all || i > 0)) {
			if (k == 1)
				buf[i] = (char)(buf[i] + 32);
			else if ((unsigned char)buf[i] == 0xC3)
				buf[i + 1] = (char)(buf[i + 1] + 32);
			else
				buf[i + 1] = (char)(buf[i + 1] + 1);
		}
		i += k;
	}
	return n;
}
