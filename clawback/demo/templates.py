# Non-ASCII text (dashes, accents, Cyrillic) is deliberate: it is what encoded-words and
# charsets are tested with.
# ruff: noqa: RUF001
"""What the legitimate and the merely unwanted mail says: partners, topics, newsletters, spam.

Placeholders are ``str.format`` fields filled by the generator: ``{first}`` (recipient's first
name), ``{sender}`` (sender's full name), ``{company}``, ``{org}``, ``{n}`` (a document number),
``{po}``, ``{amount}``, ``{due}``, ``{project}``, ``{weekday}``, ``{month}``, ``{file}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Partner:
    """An outside organisation the staff correspond with.  ``tz`` is its UTC offset in minutes."""

    company: str
    domain: str
    tz: int
    lang: str = "en"
    mta: str = "mail"


PARTNERS = (
    Partner("Northwind Traders", "northwind-traders.example", -300),
    Partner("Contoso Ltd", "contoso.example", 0, mta="mail-eu1"),
    Partner("Fabrikam Inc", "fabrikam.example", -480),
    Partner("Globex Corporation", "globex.example", -360, mta="smtp-out"),
    Partner("Initech", "initech.example", -300),
    Partner("Tailspin Toys", "tailspintoys.example", 60),
    Partner("Wingtip Logistics", "wingtip-logistics.example", 60, mta="mx-out"),
    Partner("Adatum Consulting", "adatum.example", 0),
    Partner("Lucerne Publishing", "lucernepublishing.example", 60),
    Partner("Proseware GmbH", "proseware.example", 120, "de"),
    Partner("Litware Solutions", "litware.example", 60, mta="outbound"),
    Partner("Alpine Ski House", "alpineskihouse.example", 60, "de"),
    Partner("Coho Vineyard", "cohovineyard.example", 120, "fr"),
    Partner("Fourth Coffee", "fourthcoffee.example", -480),
    Partner("Margie's Travel", "margiestravel.example", 0),
    Partner("Trey Research", "treyresearch.example", -300, mta="smtp"),
    Partner("Woodgrove Bank", "woodgrovebank.example", 0, mta="mta1"),
    Partner("Humongous Insurance", "humongousinsurance.example", -360),
    Partner("Blue Yonder Airlines", "blueyonderairlines.example", 60),
    Partner("Relecloud", "relecloud.example", 330),
    Partner("Bellows College", "bellowscollege.example", -300),
    Partner("Datos Ibéricos SL", "datos-ibericos.example", 60, "es"),
)

TITLES = (
    "Account Manager", "Project Manager", "Senior Consultant", "Finance Officer",
    "Head of Procurement", "Operations Lead", "Sales Director", "Customer Success Manager",
    "Logistics Coordinator", "Legal Counsel", "Engineering Manager", "Office Manager",
)  # fmt: skip

PROJECTS = (
    "Apollo", "Borealis", "Cobalt", "Delta", "Evergreen", "Falcon", "Granite", "Horizon",
    "Ivy", "Juniper", "Kestrel", "Lighthouse", "Meridian", "Nimbus", "Orion", "Polaris",
)  # fmt: skip

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


@dataclass(frozen=True)
class Topic:
    """One kind of business conversation.  ``attachment`` is a file-name pattern ("" for none)
    whose extension picks the document type; ``{n}`` in it is shared with the subject."""

    subjects: tuple[str, ...]
    openers: tuple[str, ...]
    details: tuple[str, ...]
    attachment: str = ""


TOPICS = (
    Topic(
        subjects=(
            "Invoice {n} from {company}",
            "Invoice {n} – payment due {due}",
            "RE: Invoice {n}",
            "Outstanding balance on account {po}",
        ),
        openers=(
            "Please find attached invoice {n} for the services delivered in {month}.",
            "Attached is our invoice {n} covering the {project} work for {month}.",
            "As discussed, here is the invoice for the latest delivery (PO {po}).",
        ),
        details=(
            "The total amount of EUR {amount} is due by {due}.",
            "Payment terms are 30 days net; our bank details are unchanged.",
            "Please reference {n} on the remittance so we can match it quickly.",
            "If anything does not match your purchase order, let me know and I will issue a corrected copy.",
        ),
        attachment="Invoice_{n}.pdf",
    ),
    Topic(
        subjects=(
            "Meeting notes: {project} kick-off",
            "Follow-up from our call on {weekday}",
            "Minutes – {project} steering committee",
            "RE: Agenda for {weekday}",
        ),
        openers=(
            "Thanks again for your time on {weekday}. A short summary of what we agreed:",
            "Here are the notes from today's {project} meeting.",
            "Following up on our call, these are the action items as I understood them:",
        ),
        details=(
            "- {company} shares the revised timeline by {due}.",
            "- {org} confirms the test environment and access for two engineers.",
            "- We revisit the budget (currently EUR {amount}) in the next session.",
            "- Open question: who owns the data migration for {project}?",
            "- Next meeting: {weekday}, same time, same dial-in.",
        ),
        attachment="Minutes_{project}_{n}.docx",
    ),
    Topic(
        subjects=(
            "{project} – weekly status",
            "RE: {project} timeline",
            "Status update: {project} phase 2",
            "{project}: risks and next steps",
        ),
        openers=(
            "Quick status on {project} for this week.",
            "Sharing where we are with {project} before the review on {weekday}.",
            "Here is the update you asked for on {project}.",
        ),
        details=(
            "Development is on track; the integration tests passed on {weekday}.",
            "We are about two days behind on the reporting module, mostly waiting on sample data from your side.",
            "Budget consumed so far: EUR {amount} of the approved envelope.",
            "The go-live date of {due} still holds if sign-off arrives this week.",
            "Risk: the vendor API rate limits may slow the bulk import.",
        ),
        attachment="{project}_status_{n}.xlsx",
    ),
    Topic(
        subjects=(
            "Order {po} confirmed",
            "Shipment {n} dispatched",
            "Delivery schedule for PO {po}",
            "RE: Order {po} – partial delivery",
        ),
        openers=(
            "We confirm receipt of your purchase order {po}.",
            "Your shipment {n} left our warehouse this morning.",
            "Please find below the delivery schedule for order {po}.",
        ),
        details=(
            "Expected delivery: {due}, between 08:00 and 12:00.",
            "Tracking number: {n}. The carrier will call ahead.",
            "Two items are back-ordered and will follow in a second delivery.",
            "The order total is EUR {amount} including freight.",
        ),
        attachment="Delivery_note_{n}.pdf",
    ),
    Topic(
        subjects=(
            "Contract renewal – {company}",
            "Updated SOW for {project}",
            "NDA for review",
            "RE: Contract amendment {n}",
        ),
        openers=(
            "Ahead of the renewal date, I am sending the updated agreement.",
            "Attached is the revised statement of work for {project}.",
            "Our legal team has reviewed the draft; please see the comments inline.",
        ),
        details=(
            "The main change is the service-level clause in section 4.2.",
            "Pricing stays at EUR {amount} per year for the first term.",
            "Could you confirm who will sign on your side by {due}?",
            "We accepted all your edits except the liability cap.",
        ),
        attachment="Contract_{n}.docx",
    ),
    Topic(
        subjects=(
            "Ticket #{n}: login issue on the portal",
            "RE: Support case {n}",
            "Your request {n} has been resolved",
            "Ticket #{n} – more information needed",
        ),
        openers=(
            "Thank you for contacting {company} support.",
            "We have looked into case {n} you opened on {weekday}.",
            "An update on your support request {n}.",
        ),
        details=(
            "The issue was caused by an expired certificate on our side and is now fixed.",
            "Could you send us a screenshot of the error and the time it happened?",
            "We will close the case on {due} unless we hear back from you.",
            "A workaround is to clear the browser cache and sign in again.",
        ),
    ),
    Topic(
        subjects=(
            "Invitation: {project} workshop on {weekday}",
            "Save the date – partner day",
            "RE: Visit to our site on {due}",
            "Lunch next {weekday}?",
        ),
        openers=(
            "We would be glad to welcome you for the {project} workshop.",
            "Following our conversation, I would like to propose a visit.",
            "It has been a while; would you be free for lunch next {weekday}?",
        ),
        details=(
            "We start at 09:30 and plan to finish by 16:00.",
            "Parking is available in front of the building; ask for me at reception.",
            "Let me know of any dietary requirements.",
            "If {weekday} does not work, {due} would be an alternative.",
        ),
    ),
)

# Partners writing in their own language.
LOCAL_TOPICS = {
    "de": Topic(
        subjects=(
            "Rechnung {n} – Zahlungserinnerung",
            "Besprechungsnotizen {project}",
            "Angebot für {org} – Überarbeitung",
            "AW: Lieferung {po}",
        ),
        openers=(
            "Sehr geehrte Damen und Herren, anbei erhalten Sie die gewünschten Unterlagen.",
            "Vielen Dank für das angenehme Gespräch am {weekday}.",
            "wie besprochen sende ich Ihnen die überarbeitete Fassung.",
        ),
        details=(
            "Der Gesamtbetrag von {amount} EUR ist bis zum {due} fällig.",
            "Bitte prüfen Sie die Änderungen in Abschnitt 3.",
            "Für Rückfragen stehe ich Ihnen gerne zur Verfügung.",
            "Die Lieferung erfolgt voraussichtlich in der Kalenderwoche {n}.",
        ),
        attachment="Rechnung_{n}.pdf",
    ),
    "fr": Topic(
        subjects=(
            "Facture {n} – échéance le {due}",
            "Compte rendu de la réunion {project}",
            "Proposition commerciale révisée",
            "RE: Livraison {po}",
        ),
        openers=(
            "Bonjour, veuillez trouver ci-joint les documents demandés.",
            "Merci pour votre disponibilité lors de notre échange de {weekday}.",
            "Comme convenu, voici la version révisée de notre proposition.",
        ),
        details=(
            "Le montant total de {amount} EUR est payable avant le {due}.",
            "N'hésitez pas à revenir vers moi pour toute question.",
            "La livraison est prévue pour la semaine prochaine.",
            "Nous restons à votre disposition pour un appel de suivi.",
        ),
        attachment="Facture_{n}.pdf",
    ),
    "es": Topic(
        subjects=(
            "Factura {n} – vencimiento {due}",
            "Acta de la reunión {project}",
            "Propuesta revisada para {org}",
            "RE: Pedido {po}",
        ),
        openers=(
            "Estimados, adjunto les envío la documentación solicitada.",
            "Gracias por la reunión del {weekday}; resumo los próximos pasos.",
            "Según lo acordado, les envío la propuesta actualizada.",
        ),
        details=(
            "El importe total de {amount} EUR vence el {due}.",
            "Quedamos a su disposición para cualquier aclaración.",
            "La entrega está prevista para la próxima semana.",
            "Por favor, confirmen la recepción de este correo.",
        ),
        attachment="Factura_{n}.pdf",
    ),
}

GREETINGS = {
    "en": ("Hi {first},", "Hello {first},", "Dear {first},", "{first},", "Good morning {first},"),
    "de": ("Hallo {first},", "Guten Tag {first},", "Liebe/r {first},"),
    "fr": ("Bonjour {first},", "Cher/Chère {first},"),
    "es": ("Hola {first},", "Estimado/a {first}:"),
}

CLOSINGS = {
    "en": ("Let me know if you have any questions.", "Happy to jump on a call if that helps.",
           "Thanks in advance for a quick confirmation.", "Looking forward to your feedback.",
           "Have a good week."),
    "de": ("Mit freundlichen Grüßen", "Viele Grüße aus München", "Beste Grüße"),
    "fr": ("Cordialement,", "Bien à vous,", "Bonne journée,"),
    "es": ("Saludos cordiales,", "Un saludo,", "Atentamente,"),
}  # fmt: skip

SIGN_OFFS = ("Best regards,", "Kind regards,", "Thanks,", "Cheers,", "Best,")

INTERNAL_TOPICS = (
    ("Lunch on {weekday}?", "Anyone up for lunch on {weekday}? I was thinking of the new place "
     "around the corner, 12:30."),
    ("Slides for the all-hands", "Here are my slides for the all-hands. Feedback welcome before "
     "{weekday}, especially on the {project} section."),
    ("Expense report approval", "Could you approve my expense report from the {project} trip? "
     "It is EUR {amount} in total, receipts are attached in the tool."),
    ("RE: {project} planning", "Agreed with your points. I moved the review to {weekday} so "
     "that finance can join."),
    ("Office closed on {weekday}", "Reminder: the office is closed on {weekday} for maintenance. "
     "Please work from home and take your laptop charger with you."),
    ("Can you review the draft?", "I put the draft of the {project} proposal in the shared "
     "folder. Could you have a look before {due}? Mostly sections 2 and 4."),
    ("Team offsite agenda", "Draft agenda for the offsite: morning strategy, afternoon "
     "{project} retrospective, dinner at 19:00. Comments by {weekday}, please."),
    ("Updated on-call rota", "I swapped weeks with Tom; the updated rota is in the wiki. I am "
     "on call from {due}."),
    ("Welcome to the team!", "Please join me in welcoming our new colleague who starts on "
     "{weekday} in the {project} team. Coffee at 10:00 in the kitchen."),
    ("Quick question about {project}", "Do you know who owns the {project} budget line now? "
     "The PO {po} is stuck waiting for an approver."),
)  # fmt: skip


@dataclass(frozen=True)
class Newsletter:
    """A bulk sender.  ``bcl`` is the Bulk Complaint Level EOP would give it."""

    name: str
    local: str
    domain: str
    subjects: tuple[str, ...]
    headlines: tuple[str, ...]
    bcl: int
    send_hour: int  # UTC hour of the daily/weekly send


NEWSLETTERS = (
    Newsletter("Cloud Weekly", "news", "mail.cloudweekly.example",
               ("Cloud Weekly #{n}: {h}", "This week in cloud: {h}"),
               ("Serverless costs explained", "Kubernetes 1.31 is out",
                "Five lessons from a region outage", "FinOps for small teams",
                "Zero-trust networking in practice"), 5, 6),
    Newsletter("The Data Digest", "digest", "news.datadigest.example",
               ("The Data Digest – {h}", "{h} | The Data Digest"),
               ("Vector databases compared", "Why your dashboards lie",
                "A gentle guide to data contracts", "Lakehouse myths"), 6, 7),
    Newsletter("TravelHub Deals", "deals", "em.travelhub.example",
               ("✈ {h} – up to 40% off", "Last chance: {h}"),
               ("City breaks in Lisbon", "Summer in the Alps", "Weekend in Vienna",
                "Flights to Barcelona from EUR 39"), 8, 9),
    Newsletter("Office Supplies Co", "offers", "mailer.officesupplies.example",
               ("{h} – this week only", "Your office, restocked: {h}"),
               ("20% off ergonomic chairs", "Free delivery on paper", "Back-to-office bundle"),
               7, 8),
    Newsletter("SecurityBrief", "briefing", "lists.securitybrief.example",
               ("SecurityBrief: {h}", "Daily briefing – {h}"),
               ("New phishing kit targets Microsoft 365", "Patch Tuesday roundup",
                "Ransomware group claims logistics firm", "Passkeys adoption grows"), 4, 5),
    Newsletter("Partner Webinars", "events", "events.contoso.example",
               ("Webinar: {h}", "Reminder – {h} starts soon"),
               ("Modern procurement in 45 minutes", "What's new in our platform",
                "Customer roundtable Q&A"), 6, 13),
    Newsletter("Network Digest", "digest-noreply", "notifications.networkhub.example",
               ("You appeared in {n} searches this week", "{h} and others posted"),
               ("Maria shared an article", "Your network is hiring", "3 new connection requests"),
               7, 10),
    Newsletter("Städtische Werke", "newsletter", "news.stadtwerke-demo.example",
               ("Ihr Energiespartipp: {h}", "Neuigkeiten für Sie – {h}"),
               ("Heizkosten senken", "Neue Tarife ab Januar", "Ökostrom für Gewerbekunden"),
               6, 7),
)  # fmt: skip

SPAM_DOMAINS = (
    "best-deals-4u.example", "cheap-meds-online.example", "crypto-gains.example",
    "seo-rank-boost.example", "lucky-winner.example", "replica-watches.example",
    "loan-approved-now.example", "dating-singles.example", "work-from-home-cash.example",
    "prize-center.example", "vip-casino.example", "diet-miracle.example",
)  # fmt: skip

# (display name, subject, body).  {url} is the spam link.
SPAM = (
    ("Rewards Center", "Congratulations! You've won a $500 gift card",
     "You have been selected to receive a $500 gift card. Claim it within 24 hours: {url}"),
    ("Pharmacy Online", "Cheap meds without prescription – 80% off",
     "Best prices on all medications, discreet shipping worldwide. Order now: {url}"),
    ("Crypto Club", "Turn $250 into $10,000 in 7 days",
     "Our AI trading bot made members rich. Limited seats available, join now: {url}"),
    ("SEO Experts", "Increase your website ranking to #1 on Google",
     "We noticed your website is not ranking well. We guarantee first page results: {url}"),
    ("Loan Department", "Your loan of $25,000 has been pre-approved",
     "No credit check required. Money in your account within 24 hours. Apply: {url}"),
    ("Watches Outlet", "Luxury watches from $99",
     "Swiss replica watches of the finest quality, free shipping today only: {url}"),
    ("Emma", "Are you still single?",
     "Hi there, I saw your profile and wanted to say hello. Chat with me here: {url}"),
    ("Gewinnspiel", "Ihr Gewinn wartet auf Sie – nur heute!",
     "Herzlichen Glückwunsch! Sie wurden ausgewählt. Jetzt Gewinn sichern: {url}"),
    ("Бонус", "Ваш выигрыш ждёт вас",
     "Поздравляем! Вы выиграли приз. Заберите его сегодня: {url}"),
    ("Casino VIP", "200 free spins – no deposit needed",
     "Your exclusive VIP bonus is ready. Start playing now: {url}"),
    ("Health News", "Doctors hate this one weird trick",
     "Lose 10 kg in 2 weeks without diet or exercise. See how: {url}"),
    ("Home Jobs", "Earn $3,000 a week from home",
     "No experience needed, just a laptop and 2 hours a day. Register: {url}"),
)  # fmt: skip

SPAM_TESTS = (
    "BAYES_99", "BAYES_999", "HTML_MESSAGE", "RDNS_NONE", "URIBL_ABUSE_SURBL", "URIBL_BLACK",
    "FREEMAIL_FROM", "MIME_HTML_ONLY", "SPF_SOFTFAIL", "RCVD_IN_SBL_CSS", "FROM_EXCESS_BASE64",
    "LOTS_OF_MONEY", "MONEY_FRAUD_5", "DEAR_SOMETHING",
)  # fmt: skip

HAM_TESTS = ("BAYES_00", "DKIM_SIGNED", "DKIM_VALID", "DKIM_VALID_AU", "HTML_MESSAGE",
             "SPF_HELO_NONE", "SPF_PASS")  # fmt: skip

# The head Outlook puts in every HTML part; it is most of a business message's size.
OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
	{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
	{font-family:Calibri;
	panose-1:2 15 5 2 2 2 4 3 2 4;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;
	mso-fareast-language:EN-US;}
a:link, span.MsoHyperlink
	{mso-style-priority:99;
	color:#0563C1;
	text-decoration:underline;}
span.EmailStyle17
	{mso-style-type:personal-compose;
	font-family:"Calibri",sans-serif;
	color:windowtext;}
.MsoChpDefault
	{mso-style-type:export-only;
	font-family:"Calibri",sans-serif;
	mso-fareast-language:EN-US;}
@page WordSection1
	{size:612.0pt 792.0pt;
	margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1
	{page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
"""  # noqa: E501

OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"

NEWSLETTER_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{margin:0;background:#f4f4f4;font-family:Helvetica,Arial,sans-serif}}
.wrap{{max-width:600px;margin:0 auto;background:#ffffff}}.hd{{background:#1b3a5c;color:#fff;padding:24px}}
.item{{padding:16px 24px;border-bottom:1px solid #eee}}.btn{{display:inline-block;background:#e8590c;color:#fff;padding:10px 18px;text-decoration:none;border-radius:4px}}
.ft{{font-size:11px;color:#888;padding:24px}}</style></head>
<body><table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td>
<div class="wrap"><div class="hd"><h1 style="margin:0;font-size:22px">{name}</h1></div>
{items}
<div class="ft">You receive this email because you subscribed to {name}.<br>
<a href="{unsubscribe}">Unsubscribe</a> | <a href="{prefs}">Manage preferences</a><br>
{name}, 1 Example Plaza, 1000 Demo City</div></div>
<img src="{pixel}" width="1" height="1" alt="" style="display:block">
</td></tr></table></body></html>
"""  # noqa: E501

NEWSLETTER_ITEM = """<div class="item"><h2 style="font-size:18px">{headline}</h2>
<p>{blurb}</p><a class="btn" href="{link}">Read more</a></div>
"""

NEWSLETTER_BLURBS = (
    "Our editors picked the most useful reads of the week so you do not have to.",
    "A practical walkthrough with examples you can reuse tomorrow morning.",
    "What changed, what it means for your team, and what to do next.",
    "Short on time? Here is the two-minute version with the key numbers.",
    "Exclusive to subscribers: the full report and the slides from the session.",
)
