"""Named citations, each cited once here (spec §0.2 style).

Stored data: every `ART*` constant is an article reference as the source document writes it; citations are
recorded in audit entries and error details, so they are not translated text.
"""

from __future__ import annotations

from engine.spec import Citation

S000 = "seed 000"


def art(article: str) -> Citation:
    return Citation(S000, article)


ART2 = art("第二条")
ART3 = art("第三条")
ART4 = art("第四条")
ART5 = art("第五条")
ART6_1 = art("第六条1")
ART6_2 = art("第六条2")
ART6_3 = art("第六条3")
ART6_4 = art("第六条4")
ART6_5 = art("第六条5")
ART7 = art("第七条")
ART7_1 = art("第七条1")
ART7_2 = art("第七条2")
ART7_3 = art("第七条3")
ART7_4 = art("第七条4")
ART7_5 = art("第七条5")
ART7_6 = art("第七条6")
ART8 = art("第八条")
ART9 = art("第九条")
ART10 = art("第十条")
ART11 = art("第十一条")
ART12 = art("第十二条")
ART13 = art("第十三条")
ART15 = art("第十五条")
ART17 = art("第十七条")
ART18 = art("第十八条")
ART18_6 = art("第十八条6")
ART18_8 = art("第十八条8")
ART17_7 = art("第十七条7")
ART18_7 = art("第十八条7")
ART19 = art("第十九条")
ART20 = art("第二十条")
ART22 = art("第二十二条")
ART23 = art("第二十三条")
ART23_1 = art("第二十三条1")
ART23_2 = art("第二十三条2")
ART23_3 = art("第二十三条3")
ART23_4 = art("第二十三条4")
ART23_5 = art("第二十三条5")
ART23_6 = art("第二十三条6")
ART23_7 = art("第二十三条7")
ART23_8 = art("第二十三条8")
ART23_9 = art("第二十三条9")
ART23_10 = art("第二十三条10")


P5_4 = Citation(S000, "第五篇 §四")
P5_5 = Citation(S000, "第五篇 §五")
P5_6_1 = Citation(S000, "第五篇 §六(一)")
P5_6_2 = Citation(S000, "第五篇 §六(二)")
P5_7 = Citation(S000, "第五篇 §七")
P5_8_1 = Citation(S000, "第五篇 §八(一)")
P5_8_2 = Citation(S000, "第五篇 §八(二)")
P5_8_3 = Citation(S000, "第五篇 §八(三)")


# seed 001 (HONGSHAN) and seed 002 (CHUZHOU), cited as spec §0.2 writes them.
S001_ART27_3 = Citation("seed 001", "第二十七条(三)")  # 年度考评诫勉 → 留用察看
S001_ART27_4 = Citation("seed 001", "第二十七条(四)")  # 年度考评不合格 → category-specific exit
S002_CHZ_EXIT = Citation("seed 002", "滁州·建立职业退出机制")  # eight exit situations → 淘汰出社区工作者队伍
S002_CHZ_REWARD = Citation("seed 002", "滁州·奖惩并举")  # 年度考核评议制度 (the annual grades)
S001_ART6 = Citation("seed 001", "第六条")  # 居委会 term 3 years

# Where each pack's term length comes from (TERM-1; spec §4.1 Variants): CHUZHOU's source speaks of "一届任期"
# (in its exit paragraph) without a length.
TERM_LENGTH_SOURCES: dict[str, Citation] = {"DONGQU": ART4, "HONGSHAN": S001_ART6, "CHUZHOU": S002_CHZ_EXIT}


def term_length_citation(pack: str) -> Citation:
    """The source of a pack's `term.length_years` (TERM-1's seed 000 第四条 for an unknown pack)."""
    return TERM_LENGTH_SOURCES.get(pack, ART4)


def assumption(number: int) -> Citation:
    return Citation("", f"A-{number:02d}")
