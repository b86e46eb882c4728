"""Synthetic news for the speed benchmark: events told by several outlets, built from templates.

Deterministic for a given seed. Each event has its own names, places and figures; each outlet's
article takes a different lede, a different subset and wording of the event's facts, a quote or two and
some background, so that clustering, deduplication and ranking have real work. Some events are carried
by one outlet only, some articles are verbatim or near-verbatim syndicated copies, some carry page chrome,
and a share of events belong to no configured topic (sport, weather, markets, science, culture).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

OUTLET_PREFIXES = (
    "Northbridge",
    "Coastal",
    "Continental",
    "Harbourside",
    "Capital",
    "Eastern",
    "Lakeside",
    "Summit",
    "Pacific",
    "Atlantic",
    "Riverside",
    "Highland",
    "Meridian",
    "Granite",
)
OUTLET_SUFFIXES = ("Times", "Post", "Herald", "Wire", "Daily", "Observer", "Review", "Radio")
LABELS = ("Private Media", "Public Broadcaster", "Wire Service", "State Funded Media")

FIRST = (
    "Anna",
    "Daniel",
    "Mei",
    "Tomas",
    "Irena",
    "Samuel",
    "Leila",
    "Karim",
    "Hannah",
    "Olena",
    "Ruth",
    "Marta",
    "Jonas",
    "Selin",
    "Chen",
    "Pablo",
    "Amara",
    "Adel",
    "Nadia",
    "Yusuf",
    "Claire",
    "Piotr",
    "Sofia",
    "Kenji",
    "Ingrid",
    "Mateo",
    "Aisha",
    "Viktor",
    "Laura",
    "Ravi",
    "Elena",
    "Hugo",
    "Noor",
    "Tariq",
    "Greta",
    "Felix",
    "Zara",
    "Oskar",
    "Lucia",
    "Idris",
)
LAST = (
    "Ross",
    "Tan",
    "Reyes",
    "Kowal",
    "Okafor",
    "Rahimi",
    "Haddad",
    "Okoro",
    "Marchenko",
    "Abiodun",
    "Kowalczyk",
    "Berg",
    "Kaya",
    "Wei",
    "Ortega",
    "Diallo",
    "Mansour",
    "Farouk",
    "Demir",
    "Morel",
    "Nowak",
    "Lindqvist",
    "Sato",
    "Halvorsen",
    "Alvarez",
    "Khan",
    "Petrov",
    "Fischer",
    "Iyer",
    "Costa",
    "Laurent",
    "Hassan",
    "Saleh",
    "Novak",
    "Brandt",
    "Jensen",
    "Moreau",
    "Shevchenko",
    "Lin",
    "Hu",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class TopicKit:
    """Vocabulary and sentence templates of one kind of news. `{slots}` are filled per event."""

    name: str
    places: tuple[str, ...]
    roles: tuple[str, ...]
    things: tuple[str, ...]
    titles: tuple[str, ...]
    ledes: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]  # each fact in two or three wordings
    quotes: tuple[str, ...]
    background: tuple[str, ...]


KITS: tuple[TopicKit, ...] = (
    TopicKit(
        "taiwan",
        (
            "the Taiwan Strait",
            "waters off Penghu",
            "the coast of Kaohsiung",
            "seas near Kinmen",
            "the Matsu islands",
        ),
        ("Defence Minister", "coast guard spokesperson", "Foreign Minister", "navy commander"),
        ("destroyer", "frigate", "coast guard cutter", "patrol boat", "supply ship"),
        (
            "Taiwan reports {n1} Chinese ships near {place}",
            "Chinese {thing} shadows Taiwanese vessel in {place}",
            "Taipei protests as drills near {place} enter day {n5}",
        ),
        (
            "Taiwan said on {day} that a Chinese {thing} had come within {n2} metres of one of its vessels in {place}.",
            "A Chinese {thing} sailed within {n2} metres of a Taiwanese ship in {place} on {day}, Taipei said.",
        ),
        (
            (
                "Taiwan's defence ministry counted {n1} Chinese navy ships and {n3} aircraft around the island in 24 hours.",
                "The ministry said {n1} Chinese ships and {n3} military aircraft were detected near Taiwan over a day.",
            ),
            (
                "The encounter happened about {n4} nautical miles from {place}, officials said.",
                "Officials put the position of the encounter at roughly {n4} nautical miles from {place}.",
            ),
            (
                "{person}, Taiwan's {role}, said the manoeuvre was dangerous and that Taipei would lodge a protest.",
                "Taiwan will lodge a formal protest, {role} {person} told reporters in Taipei.",
            ),
            (
                "Beijing said its ships had acted lawfully near {place} and accused Taipei of provocation.",
                "China's foreign ministry said the {thing} kept a safe distance and called Taiwan's account a provocation.",
            ),
            (
                "The drills, named Strait Guard-{n5}, began on {day} and involve live-fire exercises.",
                "China's Eastern Theater Command said the Strait Guard-{n5} exercise would include live-fire drills.",
            ),
            (
                "Commercial shipping near {place} was not disrupted on {day}, port authorities said.",
                "Port authorities reported no disruption to commercial traffic near {place}.",
            ),
            (
                "Japan and the Philippines called for restraint and said they were monitoring the situation near {place}.",
                "Governments in Tokyo and Manila urged restraint after the {thing} incident.",
            ),
        ),
        (
            "We will not be intimidated, and we will keep our waters open to everyone",
            "Our ships followed every rule at sea and our crews acted with great calm",
        ),
        (
            "Beijing claims Taiwan as its own territory and has held {n3} large exercises near {place} since last year.",
            "Taiwan, governed separately since 1949, has reported {n3} such incidents near {place} this year.",
        ),
    ),
    TopicKit(
        "ukraine",
        ("Kharkiv", "Odesa", "Zaporizhzhia", "Dnipro", "Mykolaiv", "Sumy", "Chernihiv"),
        ("regional governor", "mayor", "Energy Minister", "Deputy Infrastructure Minister"),
        ("drones", "missiles", "glide bombs", "artillery shells"),
        (
            "Russian {thing} hit {place} overnight, {n1} homes without power",
            "{place} repairs grid after attack with {n2} {thing}",
            "Ukraine says it downed {n2} {thing} over {place}",
        ),
        (
            "Russia attacked {place} overnight with {n2} {thing}, damaging power lines and homes, officials said on {day}.",
            "Ukrainian air defences shot down most of {n2} {thing} launched at {place} overnight, the air force said on {day}.",
        ),
        (
            (
                "About {n1} homes in the {place} region were left without electricity after the strikes.",
                "Power was cut to roughly {n1} households in and around {place}.",
            ),
            (
                "{person}, the {role}, said repair crews had restored supplies to {n3} homes by the afternoon.",
                "Repair teams reconnected {n3} homes by afternoon, {role} {person} said.",
            ),
            (
                "{n4} people were injured, including two children, according to emergency services.",
                "Emergency services said {n4} people were hurt in the attack.",
            ),
            (
                "The national grid operator announced scheduled outages of up to {n5} hours a day.",
                "Scheduled power cuts of up to {n5} hours a day will continue, the grid operator said.",
            ),
            (
                "Kyiv asked European Union neighbours to raise electricity exports to help {place}.",
                "Ukraine has asked neighbouring EU countries to send more electricity for {place}.",
            ),
            (
                "Moscow said its forces had struck energy facilities near {place} used by the Ukrainian military.",
                "Russia's defence ministry said it had targeted military-linked energy sites around {place}.",
            ),
        ),
        (
            "The city did not stop for a single day, and it will not stop now",
            "Every transformer we repair is a hospital that keeps running",
        ),
        (
            "{place} has been hit by {thing} {n3} times this month, local officials say.",
            "Attacks on the energy system around {place} have intensified since {day}.",
        ),
    ),
    TopicKit(
        "trade",
        ("Brussels", "Geneva", "Washington", "Beijing", "Tokyo", "Ottawa"),
        ("trade commissioner", "commerce ministry spokesperson", "trade representative", "economy minister"),
        ("steel", "electric cars", "solar panels", "semiconductors", "pork", "brandy", "aluminium"),
        (
            "Tariffs on {thing} to rise to {n5}% after talks in {place} stall",
            "Trade talks in {place} end with deal on {thing}",
            "Exporters of {thing} brace for {n5}% tariffs",
        ),
        (
            "Negotiators meeting in {place} agreed on {day} to change tariffs on {thing}, ending a dispute that had lasted {n4} months.",
            "Talks in {place} on tariffs on {thing} ended on {day} after {n4} months, officials said.",
        ),
        (
            (
                "The tariff on {thing} will move to {n5}% from {n4}% from January.",
                "From January the duty on {thing} will be {n5}%, up from {n4}%.",
            ),
            (
                "Trade in {thing} between the two sides was worth about {n1} million dollars last year.",
                "Last year's trade in {thing} was valued at roughly {n1} million dollars.",
            ),
            (
                "{person}, the {role}, said the agreement was better than a trade war.",
                "The deal beats a trade war, {role} {person} told reporters.",
            ),
            (
                "Industry groups warned that anti-dumping duties on {thing} could return if prices fell.",
                "Producers said anti-dumping duties might come back if prices drop.",
            ),
            (
                "The {place} deal must still be approved by the World Trade Organization's dispute panel.",
                "The agreement on {thing} still needs clearance from a WTO panel.",
            ),
            (
                "Export controls on {thing} were not part of the talks, officials said.",
                "Officials in {place} said export controls were left out of the agreement.",
            ),
        ),
        (
            "Dialogue has proved more effective than confrontation",
            "This is not the end of our concerns, but it is a better tool than tariffs",
        ),
        (
            "Disputes over {thing} have multiplied since the pandemic disrupted supply chains.",
            "Both sides had threatened retaliatory tariffs on {thing} earlier in the year.",
        ),
    ),
    TopicKit(
        "middle-east",
        ("the Red Sea", "the Suez Canal", "Gaza", "southern Lebanon", "the Gulf of Aden", "Baghdad"),
        ("canal authority chairman", "foreign minister", "UN envoy", "shipping analyst"),
        ("container ships", "aid convoys", "tankers", "bulk carriers"),
        (
            "{n1} {thing} cross {place} as traffic recovers",
            "Talks on {place} resume with UN envoy",
            "Insurers cut war-risk premiums for {place}",
        ),
        (
            "Traffic through {place} rose on {day}, with {n1} {thing} recorded in a week, officials said.",
            "Officials said {n1} {thing} passed through {place} in the week to {day}.",
        ),
        (
            (
                "War-risk insurance premiums fell to about 0.{n4}% of a ship's value, brokers said.",
                "Brokers said war-risk cover now costs about 0.{n4}% of a vessel's value.",
            ),
            (
                "{person}, the {role}, said the recovery was fragile and could reverse quickly.",
                "The recovery remains fragile, {role} {person} warned.",
            ),
            (
                "Revenue for the month was {n2} million dollars, well below earlier levels.",
                "Monthly revenue reached {n2} million dollars, still far below past figures.",
            ),
            (
                "The Houthi movement in Yemen has not formally ended its campaign against {thing}.",
                "Yemen's Houthis have not declared an end to their attacks on {thing}.",
            ),
            (
                "Israel and Hezbollah traded accusations over the ceasefire on {day}.",
                "The ceasefire between Israel and Hezbollah remained under strain on {day}, diplomats said.",
            ),
            (
                "Saudi Arabia and Iran called for calm around {place} in a joint statement.",
                "A joint statement by Riyadh and Tehran urged calm in {place}.",
            ),
        ),
        (
            "Nobody wants to be the first ship hit after everyone said it was safe",
            "The ships are coming back, slowly but surely",
        ),
        (
            "Attacks on {thing} since late 2023 forced many lines to avoid {place}.",
            "Avoiding {place} adds about {n4} days to Asia-Europe voyages.",
        ),
    ),
    TopicKit(
        "nato",
        ("Brussels", "Vilnius", "Warsaw", "Tallinn", "The Hague", "Oslo"),
        ("Secretary General", "defence minister", "deputy spokesperson", "ambassador to NATO"),
        ("air-defence fund", "rotational brigade", "ammunition plan", "drone wall"),
        (
            "NATO ministers back {n2}-billion {thing}",
            "Allies in {place} agree new {thing}",
            "NATO to station {thing} near {place}",
        ),
        (
            "NATO defence ministers meeting in {place} agreed on {day} to set up a {n2} billion euro {thing}.",
            "Allied ministers in {place} approved a {thing} worth {n2} billion euros on {day}.",
        ),
        (
            (
                "{n4} allies have pledged money so far, officials said.",
                "Officials said {n4} member states had already made pledges.",
            ),
            (
                "{person}, the alliance's {role}, said deterrence had to be credible on land, at sea and in the air.",
                "Deterrence must be credible everywhere, NATO's {role} {person} said.",
            ),
            (
                "Ministers in {place} also discussed closer ties with partners in the Indo-Pacific.",
                "Cooperation with Japan, South Korea and Australia was also on the agenda in {place}.",
            ),
            (
                "Allies agreed to raise defence spending towards {n5}% of economic output.",
                "Members committed to move defence budgets towards {n5}% of GDP.",
            ),
            (
                "Russia called the {thing} a provocation and promised a response.",
                "Moscow denounced the {thing} and said it would respond.",
            ),
            (
                "The first deliveries under the plan are expected within {n3} months.",
                "Deliveries should begin within {n3} months, according to officials.",
            ),
        ),
        (
            "We have to be ready for the world as it is, not as we wish it to be",
            "Every ally has to carry its share of the burden",
        ),
        (
            "The {thing} is the {n4}th joint project agreed under NATO's Article 5 planning.",
            "The alliance, now 32 members strong, last met in {place} {n4} months ago.",
        ),
    ),
    TopicKit(
        "china",
        ("Shanghai", "Guangdong", "Beijing", "Shenzhen", "Chongqing", "Wuhan"),
        ("statistics bureau spokesperson", "central bank governor", "economist", "commerce minister"),
        ("factory output", "retail sales", "exports", "property investment", "industrial profits"),
        (
            "China's {thing} grows {n5}.{n4}% as {place} lags",
            "Beijing unveils support for {thing}",
            "China's {thing} beats forecasts",
        ),
        (
            "China's {thing} grew {n5}.{n4}% from a year earlier, the National Bureau of Statistics said on {day}.",
            "Official data on {day} showed China's {thing} rising {n5}.{n4}% year on year.",
        ),
        (
            (
                "Economists polled beforehand had expected growth of {n5}.{n3}%.",
                "Analysts had forecast {n5}.{n3}% growth.",
            ),
            (
                "{person}, a {role}, said domestic demand remained weak.",
                "Domestic demand is still soft, said {person}, a {role}.",
            ),
            (
                "Property investment fell for a {n4}th straight month, dragging on the economy.",
                "Real-estate investment dropped again, the {n4}th monthly fall in a row.",
            ),
            (
                "The People's Bank of China kept its benchmark lending rate unchanged on {day}.",
                "China's central bank left its key lending rate where it was, {role} {person} noted.",
            ),
            (
                "Xi Jinping told officials in {place} to prioritise consumption and technology.",
                "President Xi Jinping urged officials to boost {thing}.",
            ),
            (
                "Youth unemployment stood at {n3}.{n4}%, data showed.",
                "The jobless rate for young people was {n3}.{n4}%.",
            ),
        ),
        (
            "The recovery is real but it is uneven",
            "Consumers are still cautious, and that will not change overnight",
        ),
        (
            "China targets growth of around five percent this year; {thing} is a key gauge.",
            "Beijing has announced {n4} rounds of stimulus for {place} since last year.",
        ),
    ),
)

# News that belongs in no configured topic (and must stay out of topic briefings).
OTHER: tuple[TopicKit, ...] = (
    TopicKit(
        "sport",
        ("Portmere", "Vellston", "Eastfield", "Northam"),
        ("coach", "club captain"),
        ("cup", "league", "derby"),
        ("{place} Athletic win {thing} tie {n5}-{n4}", "{place} coach praises squad after {thing} win"),
        (
            "{place} Athletic beat their rivals {n5}-{n4} in the {thing} on {day} night.",
            "A late goal gave {place} Athletic a {n5}-{n4} {thing} win on {day}.",
        ),
        (
            ("Striker {person} scored twice in the last ten minutes.", "{person} scored two late goals."),
            ("The crowd of {n1} was the biggest of the season.", "A season-best {n1} fans attended."),
            (
                "The {role} said the team had shown real character.",
                "The team showed character against {place}, the {role} said.",
            ),
        ),
        ("We never stopped believing, not for one minute",),
        ("{place} Athletic were promoted {n4} seasons ago.",),
    ),
    TopicKit(
        "weather",
        ("Brittany", "the Atlantic coast", "the Alps", "the North Sea coast"),
        ("forecaster", "civil protection official"),
        ("storm", "heatwave", "flood warning"),
        ("{thing} leaves {n1} homes without power in {place}", "{place} braces for {thing}"),
        (
            "A {thing} hit {place} on {day}, leaving about {n1} homes without electricity.",
            "About {n1} homes lost power in {place} as a {thing} swept through on {day}.",
        ),
        (
            ("Gusts reached {n2} km/h, forecasters said.", "Wind speeds of up to {n2} km/h were recorded."),
            ("{person}, a {role}, urged people to stay indoors.", "Stay indoors, {role} {person} advised."),
            (
                "Several ferry crossings from {place} were cancelled.",
                "Ferry services along {place} were suspended on {day}.",
            ),
        ),
        ("Please stay away from the seafront until the warning is lifted",),
        ("Warnings for {place} remain in place until {day}.",),
    ),
    TopicKit(
        "science",
        ("the northern hemisphere", "Chile", "the Canary Islands"),
        ("astronomer", "researcher"),
        ("comet", "telescope", "meteor shower"),
        ("New {thing} visible from {place} this weekend", "Astronomers in {place} report bright {thing}"),
        (
            "Skywatchers in {place} should be able to see a {thing} from {day}, astronomers say.",
            "A {thing} will be visible from {place} from {day}, according to astronomers.",
        ),
        (
            (
                "It will be brightest around {n4} p.m. local time.",
                "The best time to look is around {n4} p.m.",
            ),
            (
                "{person}, an {role}, said binoculars would help but were not needed.",
                "Binoculars are not needed, said {role} {person}.",
            ),
        ),
        ("It is a rare chance to see something this bright without a telescope",),
        ("The last comparable sighting from {place} was {n4} years ago.",),
    ),
    TopicKit(
        "markets",
        ("Oslo", "Zurich", "Frankfurt", "Stockholm"),
        ("central bank governor", "economist"),
        ("interest rates", "the currency", "bond yields"),
        ("Central bank in {place} holds {thing}", "{place} markets steady after decision on {thing}"),
        (
            "The central bank in {place} kept {thing} unchanged on {day}, as economists had expected.",
            "Policymakers in {place} left {thing} on hold on {day}.",
        ),
        (
            ("Inflation was {n5}.{n4}% last month.", "Consumer prices rose {n5}.{n4}% from a year earlier."),
            (
                "{person}, the {role}, said a cut was likely in the spring.",
                "A cut may come in spring, {role} {person} said.",
            ),
        ),
        ("We are not in a hurry, but the direction is clear",),
        ("Rates in {place} have been unchanged for {n4} months.",),
    ),
)

# Reaction and context any story may carry; filled per article, so every outlet's telling differs.
GENERIC = (
    "Analysts at the {org} said the events in {place} would be watched closely in the coming weeks.",
    "{person2}, a researcher at the {org}, said the figures showed how quickly things could change.",
    "Markets in {city} reacted calmly, with the main index closing {n6}.{n7}% higher.",
    "Opposition leader {person2} demanded a full explanation within {n7} days.",
    "The issue is expected to come up when officials meet in {city} next {day2}.",
    "{person2}, who has followed the issue for {n7} years, described the reaction as predictable.",
    "A {org} poll published on {day2} found that {n8}% of respondents were worried about the situation.",
    "Officials in {city} declined to say whether further measures were being prepared.",
    "Local media in {city} reported that {n9} people had gathered to follow the news on {day2}.",
    "The {org} said it would publish a detailed assessment before {day2}.",
    "Diplomats in {city} said privately that the timing had surprised them.",
    "It was the {n7}th such statement this year, according to a tally by the {org}.",
)
CITIES = (
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "Rome",
    "Vienna",
    "Prague",
    "Warsaw",
    "Istanbul",
    "Cairo",
    "Delhi",
    "Seoul",
    "Tokyo",
    "Sydney",
    "Toronto",
    "Geneva",
    "Lisbon",
    "Athens",
    "Dublin",
    "Nairobi",
)
ORGS = (
    "Halden Institute",
    "Centre for Strategic Affairs",
    "Institute for Economic Research",
    "Global Policy Forum",
    "Kestrel Foundation",
    "Maritime Security Council",
    "European Policy Lab",
    "Asia Research Centre",
)

CHROME = (
    "Share this article",
    "Sign up for our newsletter: the day's essential news every morning.",
    "Read more: our live coverage of the day's events",
    "We use cookies to improve your experience. Accept all",
)


@dataclass
class SynthArticle:
    outlet: str
    url: str
    title: str
    text: str
    published: datetime
    labels: list[str] = field(default_factory=list)
    topic: str = ""


def outlets(count: int) -> list[str]:
    names = [f"{p} {s}" for s in OUTLET_SUFFIXES for p in OUTLET_PREFIXES]
    return names[:count]


def _event_size(rng: random.Random, outlet_count: int) -> int:
    r = rng.random()
    if r < 0.40:
        return 1
    if r < 0.65:
        return rng.randint(2, 3)
    if r < 0.85:
        return rng.randint(4, 7)
    return min(outlet_count, rng.randint(8, 15))


def _fill(template: str, slots: dict[str, str]) -> str:
    out = template.format(**slots)
    return out[0].upper() + out[1:]


def generate(
    count: int,
    anchor: datetime,
    seed: int = 7,
    outlet_count: int = 32,
    days: int = 7,
    other_share: float = 0.25,
) -> list[SynthArticle]:
    """Articles published in the `days` before `anchor` by `outlet_count` outlets, `count` of them distinct.

    Verbatim syndicated copies come on top of `count`: the store keeps each once, with the copy's outlet.
    """
    rng = random.Random(seed)
    names = outlets(outlet_count)
    labels = {o: LABELS[i % len(LABELS)] for i, o in enumerate(names)}
    out: list[SynthArticle] = []
    stored = 0  # verbatim copies are stored once (as an alias of the original), so they do not count
    event_no = 0
    while stored < count:
        event_no += 1
        kit = rng.choice(OTHER) if rng.random() < other_share else rng.choice(KITS)
        slots = {
            "place": rng.choice(kit.places),
            "role": rng.choice(kit.roles),
            "thing": rng.choice(kit.things),
            "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "day": rng.choice(WEEKDAYS),
            "n1": f"{rng.randint(12, 950) * 10:,}",
            "n2": str(rng.randint(20, 480)),
            "n3": str(rng.randint(3, 60)),
            "n4": str(rng.randint(2, 9)),
            "n5": str(rng.randint(10, 35)),
        }
        start = anchor - timedelta(days=days) + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
        size = min(_event_size(rng, len(names)), count - stored)
        carriers = rng.sample(names, size)
        wire_text: str | None = None
        for k, outlet in enumerate(carriers):
            published = min(anchor - timedelta(minutes=1), start + timedelta(hours=rng.expovariate(1 / 3)))
            slug = f"{kit.name}-{event_no}-{k}"
            url = f"https://{outlet.lower().replace(' ', '')}.example/{published:%Y/%m/%d}/{slug}"
            title = _fill(rng.choice(kit.titles), slots)
            copy_roll = rng.random()
            stored += 1
            if wire_text is not None and copy_roll < 0.05:
                text = wire_text  # verbatim syndication: one stored article
                stored -= 1
            elif wire_text is not None and copy_roll < 0.10:
                text = f"{wire_text}\n\nThis story was originally published by {carriers[0]}."
            else:
                text = _article_text(rng, kit, slots)
            if k == 0:
                wire_text = text
            out.append(SynthArticle(outlet, url, title, text, published, [labels[outlet]], kit.name))
    rng.shuffle(out)
    return out


def _article_text(rng: random.Random, kit: TopicKit, slots: dict[str, str]) -> str:
    facts = rng.sample(
        kit.facts, k=max(1, min(len(kit.facts), rng.randint(len(kit.facts) - 2, len(kit.facts))))
    )
    lines = [_fill(rng.choice(kit.ledes), slots)]
    lines.extend(_fill(rng.choice(variants), slots) for variants in facts)
    quote = rng.choice(kit.quotes)
    lines.insert(rng.randint(2, len(lines)), f'"{quote}," {slots["person"]} said.')
    lines.append(_fill(rng.choice(kit.background), slots))
    extra = {
        **slots,
        "person2": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "org": rng.choice(ORGS),
        "city": rng.choice(CITIES),
        "day2": rng.choice(WEEKDAYS),
        "n6": str(rng.randint(0, 3)),
        "n7": str(rng.randint(2, 30)),
        "n8": str(rng.randint(20, 80)),
        "n9": f"{rng.randint(2, 90) * 100:,}",
    }
    for template in rng.sample(GENERIC, k=rng.randint(2, 5)):
        lines.insert(rng.randint(2, len(lines)), _fill(template, extra))
    paras: list[str] = []
    i = 0
    while i < len(lines):
        step = rng.randint(1, 2)
        paras.append(" ".join(lines[i : i + step]))
        i += step
    if rng.random() < 0.2:
        paras.insert(0, rng.choice(CHROME))
    if rng.random() < 0.3:
        paras.append(rng.choice(CHROME))
    return "\n\n".join(paras)
