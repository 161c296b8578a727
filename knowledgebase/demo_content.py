"""The demo consortium's knowledge base (used by `manage.py seed_demo`):
realistic, distinct policy pages, FAQs and canned messages per library."""

# Each library's policy page: where it is (the hours come from the posted
# hours in seed_demo), then its own sections as (kind, visibility, HTML). The
# e-resources section has a staff-only part for co-op librarians that must
# never reach a patron. Pages are "reviewed" this many days before the first
# seeding; over the 180-day interval Seminole High and Panhandle CC are due.
KB_REVIEWED_DAYS_AGO = {
    "sprc": 35,
    "gcsu": 95,
    "ocpl": 20,
    "mlpl": 150,
    "shs": 210,
    "atlaw": 60,
    "pbpl": 120,
    "phcc": 265,
    "ems": 12,
}
PUBLIC, STAFF_ONLY = "public", "staff"

KB_LOCATIONS = {
    "sprc": "The library is in Harmon Hall on the main quad, 100 College Drive. "
    "The Learning Commons on the first floor has the printers and group study rooms.",
    "gcsu": "Main Library (Tallahassee Road campus) and the Marine Science Library at "
    "the Coastal Campus in Panacea. Hours below are the Main Library's; the Marine "
    "Science Library is open weekdays 8 a.m.–5 p.m.",
    "ocpl": "Main Library at 101 E. Central Blvd., Orlando, and 15 branches. Branch "
    "hours differ; these are the Main Library's.",
    "mlpl": "6699 Windmill Gate Road, Miami Lakes, next to the town hall. Free parking "
    "in the garage.",
    "shs": "The media center is in Building 4, open to Seminole High students and "
    "staff on school days.",
    "atlaw": "Third floor of the County Courthouse Annex, 500 S. Olive Avenue. Bring "
    "photo ID for courthouse security.",
    "pbpl": "Main Library at 239 N. Spring Street, Pensacola, plus the Southwest, "
    "Tryon, Molino and Westside branches.",
    "phcc": "The library is in the Student Success Center (Building C) on the Panama "
    "City campus; the Chipley center has a small study room with a book drop.",
    "ems": "The media center is next to the cafeteria. Students come with a pass from "
    "their teacher during class time.",
}

KB_SECTIONS = {
    "sprc": [
        (
            "borrowing",
            PUBLIC,
            "<p>Students borrow books for <strong>3 weeks</strong>; graduate students "
            "and faculty for the whole semester. You can renew an item "
            "<strong>3 times</strong> online in My Library Account unless someone "
            "has placed a hold on it.</p><p>There are no daily fines. An item 30 days "
            "overdue is billed at its replacement cost; returning it removes the "
            "bill. Laptops and chargers go out for 4 hours from the Learning Commons "
            "desk.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Everything uses your <strong>SpringID</strong> (the username and "
            "password for campus email and Canvas). Sign in yourself at My Library "
            "Account in the catalog. Forgotten your password? Reset it at "
            "password.springfield.edu or call the IT Help Desk, 555-0140.</p>"
            "<p>Library staff never ask for your password and cannot sign in for "
            "you.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>All databases are on the A–Z Databases page. Off campus, a database "
            "link asks you to sign in with your SpringID once per session. Alumni "
            "can use JSTOR Alumni and the open-access collections; other databases "
            "are licensed for current students and employees only.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff: proxy troubleshooting.</strong> EZproxy prefix: "
            "https://ezproxy.springfield.edu/login?url= — add it in front of a "
            "database link to make it work off campus.</p><ul>"
            "<li>“You are not authorized” after sign-in: the patron is not in this "
            "term's enrolment feed (new or readmitted students, visiting students). "
            "Forward to eresources@springfield.edu.</li>"
            "<li>Sign-in loops: ask them to open a private window; the SpringID "
            "session cookie is often stale.</li>"
            "<li>Never ask for or type a patron's SpringID password, and never use "
            "your own login to retrieve articles for them.</li></ul>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Request what we don't have through <strong>ILLiad</strong> (sign in "
            "with SpringID). It is free for students and employees. Articles arrive "
            "as PDFs in 2–3 days; books take 7–14 days and are picked up at the "
            "circulation desk.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Online and off-campus students can have books mailed home, free "
            "both ways within the US: use the Mail to me option when you place a "
            "hold. Chapters and articles from our print collection are scanned and "
            "emailed within two working days.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>The third floor is the silent floor. Group study rooms are booked "
            "online for up to 3 hours a day. The Nursing and Business programs have "
            "subject librarians (see Contacts).</p>",
        ),
    ],
    "gcsu": [
        (
            "borrowing",
            PUBLIC,
            "<p>Undergraduates borrow books for <strong>28 days</strong>, graduate "
            "students for 90 days and faculty for a year. Loans <strong>renew "
            "automatically</strong> up to 5 times unless another reader requests the "
            "item; you will get an email when something cannot renew.</p>"
            "<p>Course reserves are 2-hour loans with a $1 per hour late charge; "
            "other items have no fines.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Sign in with your <strong>GCSU NetID</strong> and approve the Duo "
            "push on your phone. New phone or lost Duo? The ITS Service Desk "
            "(555-0123, its.gcsu.edu) resets it after checking your ID; the library "
            "cannot.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>Find articles through OneSearch on the library home page; the "
            "<strong>Get It @ GCSU</strong> button finds the full text or offers an "
            "interlibrary loan. Off campus you sign in with NetID and Duo.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> GCSU moved from EZproxy to "
            "<strong>OpenAthens</strong> in 2025. Old links starting "
            "ezproxy.gcsu.edu redirect; if one does not, rebuild it with "
            "https://go.openathens.net/redirector/gcsu.edu?url= in front.</p><ul>"
            "<li>A patron stuck at the Duo prompt: Duo is ITS's, send them to the "
            "ITS Service Desk.</li><li>Marine science databases (ASFA, Web of "
            "Science) allow 5 users at once; “session limit” means try again in a "
            "few minutes.</li><li>Report outages to erm@gcsu.edu with the "
            "database and the time.</li></ul>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Books from other state universities come fastest through "
            "<strong>UBorrow</strong> (3–5 days). Anything else, and articles, "
            "through ILLiad. Both are free.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Students in online programs use <strong>Article Express</strong>: "
            "we scan a chapter or article from our print collection and email it "
            "within 48 hours. Books can be mailed to Florida addresses.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>Special Collections and the Gulf map collection are open by "
            "appointment. The Marine Science Library lends field guides for a "
            "week.</p>",
        ),
    ],
    "ocpl": [
        (
            "borrowing",
            PUBLIC,
            "<p>Most items go out for <strong>21 days</strong> and can be renewed "
            "<strong>5 times</strong> online or by phone unless someone has a hold. "
            "You may have 50 items out.</p><p>OCPL is <strong>fine-free</strong>: "
            "there are no overdue fines. Items 28 days overdue are billed; the bill "
            "is cleared when they come back.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>A library card is free for Orange County residents (bring photo ID "
            "and proof of address); others pay $25 a year. Log in with your "
            "<strong>card number and 4-digit PIN</strong>. Forgot your PIN? Use "
            "“Forgot PIN” on the login page to get an email, or ask at any branch "
            "with your ID.</p><p>Never send your PIN in a chat: staff will not ask "
            "for it.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>E-books and audiobooks in <strong>Libby</strong>, movies on Kanopy "
            "and hoopla (8 hoopla borrows a month), and research databases at "
            "ocpl.org/research — all with your card number and PIN.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> OCPL's databases authenticate against "
            "the patron's card record, not a proxy password.</p><ul>"
            "<li>“Card not valid”: expired card (renew in person every 3 years) or "
            "more than $10 owed.</li><li>hoopla “limit reached”: the 8 borrows "
            "reset on the 1st of the month.</li><li>Libby shows the wrong library: "
            "the patron added OCPL twice; remove one card in Libby's menu.</li>"
            "</ul>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Interlibrary loan costs <strong>$2 per item</strong>, up to 10 "
            "requests at a time. Items we own or published in the last 12 months "
            "cannot be requested; suggest a purchase instead.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Students in online courses can take proctored exams at the Main "
            "Library by appointment ($10 per exam), and use the free study rooms at "
            "every branch.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>The Main Library closes for renovation from January 4 to February "
            "5, 2027; holds set for pickup there move to the Southeast Branch. "
            "Passport services at the Main Library by appointment.</p>",
        ),
    ],
    "mlpl": [
        (
            "borrowing",
            PUBLIC,
            "<p>Books go out for <strong>21 days</strong> with <strong>2 "
            "renewals</strong>. Hot Picks (new bestsellers) are 7-day loans with "
            "no renewals. Adult items are 10¢ a day late; children's items have no "
            "fines.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Cards are free for Miami-Dade residents. Your first PIN is the last "
            "four digits of your phone number; change it in My Account. ¿Olvidó su "
            "PIN? Staff at the desk can reset it in English or Spanish when you "
            "show your ID.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>E-books are in <strong>cloudLibrary</strong> (not Libby). Mango "
            "Languages teaches 70 languages, and Brainfuse HelpNow has live tutors "
            "daily 2–11 p.m. Sign in with your card number and PIN.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> Brainfuse only accepts cards with a "
            "Miami-Dade ZIP code on the record; non-resident courtesy cards are "
            "refused by design. A card showing “Blocked” owes more than $10 and "
            "cannot use databases until it is paid at the desk.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Miami Lakes does not run its own interlibrary loan. Patrons can "
            "request items through the Miami-Dade Public Library System with the "
            "same card.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>We do not proctor exams. Online students are welcome to the quiet "
            "study tables and free Wi-Fi; the Miami-Dade Main Library offers "
            "proctoring.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>Bilingual (English/Spanish) staff at all hours. Seed library at the "
            "entrance; story time in Spanish on Saturdays at 11.</p>",
        ),
    ],
    "shs": [
        (
            "borrowing",
            PUBLIC,
            "<p>Students borrow up to <strong>3 books for 2 weeks</strong> and can "
            "renew once at the desk. Overdue books do not cost anything, but lost "
            "books are billed through the front office at the end of the "
            "semester.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Students sign in to everything through <strong>Clever</strong> "
            "with their district Google account. Forgotten passwords are reset by "
            "a teacher or the front office — media center staff cannot see or "
            "change them.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>The catalog (Destiny Discover), Gale and EBSCO databases and Sora "
            "e-books are all tiles in Clever. From home, open Clever first, then "
            "the tile.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> the Gale and EBSCO home-access "
            "passwords are posted on the library's Schoology page for students. Do "
            "not type them into a chat with someone you cannot confirm is a "
            "student: send the Schoology link instead. If a tile says “no "
            "license”, the student is in a personal Google account.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>We don't do interlibrary loan. Every student has a Seminole County "
            "Public Library card through the Cards for Kids program and can place "
            "holds there.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Seminole Virtual School students enrolled in a Seminole High course "
            "can borrow books: their teacher sends the request and the books wait "
            "at the front office.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>Students need a pass during class time. The media center is closed "
            "the first and last week of each semester for inventory and textbook "
            "returns.</p>",
        ),
    ],
    "atlaw": [
        (
            "borrowing",
            PUBLIC,
            "<p>The collection is <strong>reference only</strong> for the public. "
            "Members (attorneys with a paid annual membership) may borrow "
            "treatises for 7 days; reporters and codes never leave the "
            "library.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>The public uses the research terminals without an account. Members "
            "sign in to the member portal with their Florida Bar number and their "
            "own password; reset it from the portal's sign-in page.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>Westlaw and Lexis are available <strong>only on the terminals in "
            "the library</strong> (our licences do not allow remote use). "
            "HeinOnline is available remotely to members. Florida Bar members also "
            "have free vLex Fastcase through the Bar.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> there is no remote Westlaw or Lexis "
            "for the public, and the library's own Lexis login must never be "
            "shared. Fastcase problems go to the Florida Bar, not to us. "
            "HeinOnline member access runs through "
            "https://proxy.atlanticlaw.org/login?url= — a member who cannot sign in "
            "should email circulation@atlanticlaw.org.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>We send copies of cases and statutes by email at 25¢ a page "
            "(first 10 pages free). Books are lent only to other law libraries.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Patrons outside the county can use the document delivery service "
            "above; requests made before 3 p.m. go out the same day.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p><strong>Staff cannot give legal advice</strong> or tell you which "
            "form to file. We can show you where the forms, statutes and practice "
            "guides are. The Self-Help Center next door has free forms for family "
            "and small-claims cases.</p>",
        ),
    ],
    "pbpl": [
        (
            "borrowing",
            PUBLIC,
            "<p>Books and DVDs go out for <strong>3 weeks</strong> with <strong>3 "
            "renewals</strong>. Wi-Fi hotspots are 2-week loans without renewal, "
            "$5 a day late. There are no fines on books.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Cards are free for Escambia County residents, $20 a year for "
            "others. Log in with the barcode on your card and your PIN (at first "
            "the last four digits of your phone). “Reset my PIN” emails you a "
            "link.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>Libby, Creativebug and LinkedIn Learning work from home with your "
            "card. Ancestry Library Edition works <strong>only inside our "
            "branches</strong>; HeritageQuest works from home.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> “Ancestry doesn't work at home” is "
            "the licence, not a login problem — suggest HeritageQuest. LinkedIn "
            "Learning asks for the card number and PIN on a screen titled “Library "
            "card”; patrons often type their LinkedIn password there.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Interlibrary loan is <strong>free</strong>, 5 requests at a time, "
            "picked up at any branch you choose.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Free exam proctoring at the Main Library on Tuesdays and Thursdays, "
            "by appointment at least 3 days ahead.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>The Genealogy Room (Main Library, 2nd floor) has county records "
            "back to 1821. During hurricane closures updates are posted on the "
            "library's website and Facebook page.</p>",
        ),
    ],
    "phcc": [
        (
            "borrowing",
            PUBLIC,
            "<p>Books go out for <strong>2 weeks</strong> with <strong>one "
            "renewal</strong>. Reserve textbooks are 2-hour, in-library loans. "
            "Semester laptop loans are available to students with financial aid; "
            "apply at the circulation desk.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Sign in with your <strong>Panther Portal</strong> login (student ID "
            "number and password). The Student Help Desk (555-0199) resets "
            "passwords; library staff cannot.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>Nursing and allied health students use CINAHL, Nursing Reference "
            "Center and the NCLEX review collection. Off campus, sign in with your "
            "Panther Portal login when asked.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> EZproxy prefix "
            "https://login.proxy.phcc.edu/login?url=. Dual-enrolment high school "
            "students do have access. Nursing Reference Center allows 3 users at "
            "once; “too many sessions” clears within 15 minutes.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>Borrow books from other Florida colleges through "
            "<strong>UBorrow</strong> in the catalog; articles come through the "
            "library by email. Both are free.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Online students can ask for books to be mailed with a prepaid "
            "return envelope. The Chipley center book drop is emptied on Mondays "
            "and Thursdays.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>The Testing Center is separate from the library (Building D). June "
            "Park is the librarian for allied health programs.</p>",
        ),
    ],
    "ems": [
        (
            "borrowing",
            PUBLIC,
            "<p>Students borrow <strong>2 books for 2 weeks</strong> (sixth graders "
            "1 book during the first quarter). Renew by bringing the book to the "
            "desk. Nothing costs money unless a book is lost.</p>",
        ),
        (
            "accounts",
            PUBLIC,
            "<p>Students log in through <strong>ClassLink</strong> with the "
            "username and password the district gave them. Teachers reset "
            "forgotten passwords.</p>",
        ),
        (
            "eresources",
            PUBLIC,
            "<p>Sora e-books, Britannica School and World Book are in ClassLink. "
            "Open ClassLink first and they sign you in.</p>",
        ),
        (
            "eresources",
            STAFF_ONLY,
            "<p><strong>Co-op staff:</strong> never ask a student for their "
            "ClassLink password. Sora saying “not authorized” means the student is "
            "signed in to a personal Google account; have them sign out and open "
            "Sora from ClassLink.</p>",
        ),
        (
            "ill",
            PUBLIC,
            "<p>No interlibrary loan; every EMS student can get a Pensacola Bay "
            "Public Library card and place holds there.</p>",
        ),
        (
            "distance",
            PUBLIC,
            "<p>Escambia Virtual Academy students can borrow through EMS: a parent "
            "picks the books up at the front office.</p>",
        ),
        (
            "local",
            PUBLIC,
            "<p>The media center opens at 7:30 a.m. for students arriving early. "
            "The makerspace is open at lunch on Fridays.</p>",
        ),
    ],
}

# One demo section has an earlier version, so its history shows a change.
KB_EARLIER = {
    ("sprc", "borrowing", PUBLIC): (
        "<p>Students borrow books for <strong>3 weeks</strong>; graduate students "
        "and faculty for the whole semester. You can renew an item "
        "<strong>2 times</strong> online in My Library Account unless someone has "
        "placed a hold on it.</p><p>There are no daily fines. An item 30 days "
        "overdue is billed at its replacement cost.</p>",
        "Renewals raised to three for the fall semester",
    )
}

# slug, question, answer (HTML)
KB_FAQS = {
    "sprc": [
        (
            "renew-books",
            "How do I renew my books?",
            "<p>Sign in to My Library Account with your SpringID and choose Renew. "
            "Each item renews 3 times unless it has a hold.</p>",
        ),
        (
            "off-campus-access",
            "How do I use databases off campus?",
            "<p>Start from the A–Z Databases page and sign in with your SpringID "
            "when asked.</p>",
        ),
        (
            "printing",
            "Where can I print?",
            "<p>In the Learning Commons: send jobs to “SC-Print” from your laptop "
            "and release them with your ID card. Black and white is 10¢ a page.</p>",
        ),
        (
            "interlibrary-loan",
            "Can I get a book the library doesn't have?",
            "<p>Yes, free through ILLiad. Articles arrive in 2–3 days, books in "
            "7–14.</p>",
        ),
    ],
    "gcsu": [
        (
            "renewals",
            "Do I need to renew my books?",
            "<p>No: loans renew automatically up to 5 times unless someone requests "
            "the item. You get an email when one cannot renew.</p>",
        ),
        (
            "duo-problems",
            "I can't get past the Duo prompt off campus.",
            "<p>Duo is managed by ITS: call the ITS Service Desk at 555-0123.</p>",
        ),
        (
            "uborrow",
            "How do I borrow from another state university?",
            "<p>Search OneSearch, choose “All state universities” and request it "
            "through UBorrow. It arrives in 3–5 days.</p>",
        ),
        (
            "marine-science-library",
            "When is the Marine Science Library open?",
            "<p>Weekdays 8 a.m.–5 p.m. at the Coastal Campus in Panacea.</p>",
        ),
        (
            "article-express",
            "I'm an online student. Can you scan a chapter for me?",
            "<p>Yes, request it through Article Express; we email it within 48 "
            "hours.</p>",
        ),
    ],
    "ocpl": [
        (
            "get-a-library-card",
            "How do I get a library card?",
            "<p>Orange County residents get a free card at any branch with photo ID "
            "and proof of address. Non-residents pay $25 a year.</p>",
        ),
        (
            "renew-items",
            "How many times can I renew?",
            "<p>Five times, online or by phone, unless someone has a hold. There "
            "are no overdue fines.</p>",
        ),
        (
            "forgot-pin",
            "I forgot my PIN.",
            "<p>Use “Forgot PIN” on the login page to get an email, or ask at any "
            "branch with your ID. Never share your PIN in a chat.</p>",
        ),
        (
            "hoopla-limit",
            "Why can't I borrow more on hoopla?",
            "<p>Each card has 8 hoopla borrows a month; they reset on the 1st.</p>",
        ),
        (
            "main-library-renovation",
            "Is the Main Library closed?",
            "<p>Yes, from January 4 to February 5, 2027. Holds move to the "
            "Southeast Branch.</p>",
        ),
    ],
    "mlpl": [
        (
            "library-card",
            "Who can get a library card?",
            "<p>Anyone who lives in Miami-Dade County, free, with photo ID and proof "
            "of address.</p>",
        ),
        (
            "renewals",
            "Can I renew Hot Picks?",
            "<p>No, Hot Picks are 7-day loans without renewal. Other books renew "
            "twice.</p>",
        ),
        (
            "homework-help",
            "Is there homework help?",
            "<p>Brainfuse HelpNow has live tutors every day 2–11 p.m. Sign in with "
            "your card.</p>",
        ),
    ],
    "shs": [
        (
            "how-many-books",
            "How many books can I check out?",
            "<p>Three books for two weeks; renew once at the desk.</p>",
        ),
        (
            "databases-from-home",
            "How do I use the databases from home?",
            "<p>Log in to Clever with your district Google account, then open the "
            "Gale or EBSCO tile.</p>",
        ),
        (
            "forgot-password",
            "I forgot my password.",
            "<p>Ask a teacher or the front office to reset it.</p>",
        ),
    ],
    "atlaw": [
        (
            "legal-advice",
            "Can you tell me which form I need?",
            "<p>Library staff cannot give legal advice, but we can show you the "
            "forms and guides. The Self-Help Center next door helps with family and "
            "small-claims forms.</p>",
        ),
        (
            "westlaw-from-home",
            "Can I use Westlaw from home?",
            "<p>No, Westlaw and Lexis are licensed for the terminals in the library "
            "only. Florida Bar members have Fastcase through the Bar.</p>",
        ),
        (
            "copies-by-email",
            "Can you email me a copy of a case?",
            "<p>Yes: 25¢ a page, the first 10 pages free. Requests before 3 p.m. go "
            "out the same day.</p>",
        ),
    ],
    "pbpl": [
        (
            "renew-books",
            "How do I renew my books?",
            "<p>Online in My Account with your card and PIN: up to 3 renewals. "
            "Hotspots cannot be renewed.</p>",
        ),
        (
            "ancestry-at-home",
            "Can I use Ancestry at home?",
            "<p>Ancestry Library Edition only works in our branches. HeritageQuest "
            "works from home with your card.</p>",
        ),
        (
            "exam-proctoring",
            "Do you proctor exams?",
            "<p>Yes, free, at the Main Library on Tuesdays and Thursdays; book 3 "
            "days ahead.</p>",
        ),
        (
            "hotspot-loans",
            "Can I borrow a Wi-Fi hotspot?",
            "<p>Yes, for 2 weeks. Late hotspots cost $5 a day.</p>",
        ),
    ],
    "phcc": [
        (
            "renew-books",
            "Can I renew a book?",
            "<p>Once, for another 2 weeks, at the desk or in the catalog.</p>",
        ),
        (
            "nclex-review",
            "Where are the NCLEX review books?",
            "<p>On the reserve shelf behind the circulation desk, and online in "
            "Nursing Reference Center.</p>",
        ),
        (
            "laptop-loans",
            "Can I borrow a laptop for the semester?",
            "<p>Students with financial aid can; apply at the circulation desk.</p>",
        ),
    ],
    "ems": [
        (
            "check-out-books",
            "How many books can I check out?",
            "<p>Two books for two weeks (sixth graders: one during the first "
            "quarter).</p>",
        ),
        (
            "sora-not-working",
            "Sora says I'm not authorized.",
            "<p>Sign out of your personal Google account and open Sora from "
            "ClassLink.</p>",
        ),
        (
            "makerspace",
            "When is the makerspace open?",
            "<p>At lunch on Fridays.</p>",
        ),
    ],
}

# A library's own greeting or goodbye replaces the consortium's (K6):
# (library, key, group, title, body).
KB_CANNED = [
    (
        "sprc",
        "greeting",
        "greeting",
        "Greeting (Springfield College)",
        "Hi {patron_name}! This is {librarian_name}. Thanks for asking the "
        "Springfield College Library; let me take a look.",
    ),
    (
        "ocpl",
        "greeting",
        "greeting",
        "Greeting (Orange County)",
        "Hello {patron_name}, welcome to Ask OCPL! I'm {librarian_name}. What can I "
        "help you find today?",
    ),
    (
        "ocpl",
        "goodbye",
        "closing",
        "Goodbye (Orange County)",
        "Thanks for chatting with Orange County Public Library, {patron_name}! "
        "Remember: no overdue fines at OCPL. Happy reading!",
    ),
    (
        "atlaw",
        "greeting",
        "greeting",
        "Greeting (Atlantic Law Library)",
        "Hello {patron_name}, this is {librarian_name} at the Atlantic Law Library. "
        "We can help you find legal information, but we cannot give legal advice.",
    ),
    (
        "shs",
        "goodbye",
        "closing",
        "Goodbye (Seminole High)",
        "Good luck with your assignment, {patron_name}! The media center is open "
        "every school day; see you there.",
    ),
]
