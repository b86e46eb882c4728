"""Reports written for the story tests: three events, each told by three outlets in their own words, and
one look-alike event of the same kind as the first (another port strike, other people and figures).
Fictional, written for this project."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from summarizer.model import Document

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)

STRIKE = [
    (
        "port-wire",
        "Rotterdam dockers walk out over pay",
        "Dock workers at the port of Rotterdam walked out on Monday after wage talks with terminal operators "
        "collapsed, leaving 34 container ships waiting at anchor. The FNV Havens union said 2,400 members "
        "joined the strike. Union leader Marco Bakker said operators had offered a 3.1 percent rise, far "
        "below inflation. The Port of Rotterdam Authority said ferries to Hull were not affected.",
    ),
    (
        "north-times",
        "Strike halts Europe's biggest port",
        "Cranes stood still in Rotterdam on Monday as some 2,400 dockers stopped work in a dispute over pay. "
        "Marco Bakker of the FNV Havens union told reporters outside the Maasvlakte terminal that the 3.1 "
        "percent offer was an insult. By the afternoon 34 ships were queuing off the Dutch coast, the port "
        "authority said, and shippers warned of delays across northern Europe.",
    ),
    (
        "harbor-ledger",
        "Rotterdam port strike leaves dozens of ships waiting",
        "A walkout by dock workers brought the Maasvlakte terminals of Rotterdam to a halt on Monday. The "
        "FNV Havens union, led by Marco Bakker, rejected a 3.1 percent pay offer and said 2,400 workers "
        "would stay out until talks resume. Thirty-four container ships were waiting to berth, according to "
        "the port authority.",
    ),
]
COMET = [
    (
        "sky-daily",
        "Bright comet visible to the naked eye this week",
        "A comet discovered in March by the Zwicky Transient Facility is now bright enough to see without a "
        "telescope, astronomers at the European Southern Observatory said on Tuesday. Comet C/2026 F3 will "
        "pass 42 million kilometres from Earth on Friday. Observers in the northern hemisphere should look "
        "low in the west just after sunset, said astronomer Ines Okonkwo.",
    ),
    (
        "north-times",
        "Look west after sunset: comet C/2026 F3 makes its closest pass",
        "Stargazers will get their best view of comet C/2026 F3 this week, when it comes within 42 million "
        "kilometres of Earth on Friday. Ines Okonkwo of the European Southern Observatory said the comet, "
        "found in March by the Zwicky Transient Facility, was brighter than forecast and visible to the "
        "naked eye from dark sites.",
    ),
    (
        "port-wire",
        "Comet brightens ahead of Friday's close approach",
        "Comet C/2026 F3 has brightened sharply and can be seen with the naked eye, the European Southern "
        "Observatory said. Its closest approach, at 42 million kilometres, comes on Friday. Astronomer Ines "
        "Okonkwo said binoculars would show its tail from the northern hemisphere in the western sky after "
        "dusk.",
    ),
]
VOTE = [
    (
        "alpine-radio",
        "Geneva voters back cross-border tram line",
        "Voters in the Swiss canton of Geneva approved a 410 million franc extension of the tram network into "
        "France on Sunday, with 57.8 percent in favour on a turnout of 44 percent. The line will run to "
        "Annemasse. Cantonal councillor Claire Morel said the result showed Geneva treated its neighbours as "
        "part of one city.",
    ),
    (
        "north-times",
        "Geneva says yes to tram extension into France",
        "Geneva's voters have backed a tram line across the border to Annemasse, the cantonal chancellery said "
        "on Sunday. The 410 million franc project won 57.8 percent of the vote on a 44 percent turnout, "
        "despite a campaign by business groups against it. Claire Morel, who led the yes campaign, called it a "
        "vote for the whole region.",
    ),
    (
        "sky-daily",
        "Cross-border tram wins Geneva referendum",
        "A referendum in Geneva on Sunday approved extending the city's tram network to Annemasse in France. "
        "The plan, costing 410 million francs, was supported by 57.8 percent of voters. Turnout was 44 "
        "percent. Councillor Claire Morel welcomed the result.",
    ),
]
# Another strike of the same kind, months later, in another port: other people, other figures.
OTHER_STRIKE = [
    (
        "port-wire",
        "Antwerp dockers strike over shift rules",
        "Dock workers in Antwerp stopped work on Thursday in a dispute over new shift rules, leaving 19 ships "
        "waiting to unload. The ABVV union said 1,300 members had joined the strike. Union secretary Lotte "
        "Peeters said the port's operators wanted twelve-hour night shifts. The Port of Antwerp-Bruges said "
        "it hoped talks would resume on Monday.",
    ),
    (
        "north-times",
        "Antwerp port at a standstill as dockers walk out",
        "About 1,300 dockers walked off the job in Antwerp on Thursday over plans for longer night shifts, "
        "the ABVV union said. Lotte Peeters, its port secretary, said the rules were unsafe. Nineteen vessels "
        "were waiting at the quays of the Port of Antwerp-Bruges by the evening.",
    ),
]


def documents(
    event: list[tuple[str, str, str]], key: str, start: datetime, step_hours: float = 2.0
) -> list[Document]:
    return [
        Document(
            f"{key}{n}",
            title,
            text,
            url=f"https://{outlet}.example/{key}{n}",
            outlet=outlet,
            published=start + timedelta(hours=step_hours * n),
        )
        for n, (outlet, title, text) in enumerate(event)
    ]


def all_documents() -> list[Document]:
    return (
        documents(STRIKE, "strike", T0)
        + documents(COMET, "comet", T0 + timedelta(hours=1))
        + documents(VOTE, "vote", T0 - timedelta(days=1))
        + documents(OTHER_STRIKE, "antwerp", T0 + timedelta(days=120))
    )
