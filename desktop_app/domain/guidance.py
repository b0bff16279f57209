"""The guidance this application is built on, as data: short verbatim quotations.

Every recommendation the decision wizard makes, and every field a decision record asks
for, points at one of these citations, so that a practitioner (or a court, or an
auditor) can see which passage of which document the application relied on. The
quotations are copied from the texts in the shared ``guidance/`` folder, not
paraphrased from memory; ``tests/unit/test_guidance_quotes.py`` checks that each one
still occurs in its source file (whitespace-normalised, with `` ... `` marking a gap).

The texts support professional judgement; they do not replace it. The application
recommends, the practitioner decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# Short human names for the five source documents, as shown next to each quotation.
HM_ADVICE_2024 = "Information sharing advice (HM Government, 2024)"
ICO_TEN_STEPS = "ICO 10-step guide"
MYTHS_GUIDE = "Information sharing: common myths and golden rules (local authority guide)"
GOLDEN_RULES_2024 = "Seven golden rules (2024)"
BUCKINGHAMSHIRE_CODE = "Buckinghamshire Information Sharing Code of Practice"

# Which file in the shared guidance folder each document comes from.
SOURCE_FILES: dict[str, str] = {
    HM_ADVICE_2024: "000_eab17d68257e3449.txt",
    ICO_TEN_STEPS: "001_83ca7de0f37f4231.txt",
    MYTHS_GUIDE: "002_abb2febbf1fba910.txt",
    GOLDEN_RULES_2024: "003_54e8fffeed841bc3.txt",
    BUCKINGHAMSHIRE_CODE: "004_a6bbcc11c9cfd1bc.txt",
}

# Marks an omission inside a quotation; each part must occur in the source, in order.
ELLIPSIS = " ... "


@dataclass(frozen=True)
class Citation:
    """A short verbatim quotation: which document, which rule or section, and the words."""

    document: str
    rule: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"document": self.document, "rule": self.rule, "text": self.text}


def _gr(number: int, text: str) -> Citation:
    return Citation(GOLDEN_RULES_2024, f"Golden rule {number}", text)


def _hm(rule: str, text: str) -> Citation:
    return Citation(HM_ADVICE_2024, rule, text)


def _bucks(rule: str, text: str) -> Citation:
    return Citation(BUCKINGHAMSHIRE_CODE, rule, text)


def _ico(rule: str, text: str) -> Citation:
    return Citation(ICO_TEN_STEPS, rule, text)


# --- The seven golden rules (2024 wording, 003) -------------------------------------

GOLDEN_RULE_1 = _gr(
    1,
    "Protecting a child from such harm takes priority over protecting their privacy, or the "
    "privacy rights of the person(s) failing to protect them.",
)
GOLDEN_RULE_2_ENGAGE = _gr(
    2,
    "When you have a safeguarding concern, wherever it is practicable and safe to do so, engage "
    "with the child and/or their carer(s), and explain who you intend to share information "
    "with, what information you will be sharing and why.",
)
GOLDEN_RULE_2_NOT_REQUIRED = _gr(
    2,
    "You are not required to inform them, if you have reason to believe that doing so may put "
    "the child at increased risk of harm",
)
GOLDEN_RULE_3 = _gr(
    3,
    "You do not need consent to share personal information about a child and/or members of "
    "their family if a child is at risk or there is a perceived risk of harm.",
)
GOLDEN_RULE_3_LAWFUL_BASIS = _gr(
    3,
    "You need a lawful basis to share information under data protection law, but when you "
    "intend to share information as part of action to safeguard a child at possible risk of "
    "harm, consent may not be an appropriate basis for sharing.",
)
GOLDEN_RULE_3_OBJECTIONS = _gr(
    3,
    "you should consider any objection the child or their carers may have to proposed "
    "information sharing, but you should consider overriding their objections if you believe "
    "sharing the information is necessary to protect the child from harm.",
)
GOLDEN_RULE_4 = _gr(
    4,
    "Seek advice promptly whenever you are uncertain or do not fully understand how the legal "
    "framework supports information sharing in a particular case.",
)
GOLDEN_RULE_4_DO_NOT_LEAVE = _gr(
    4,
    "Do not leave a child at risk of harm because you have concerns you might be criticised for sharing information.",
)
GOLDEN_RULE_4_WHO = _gr(
    4,
    "This may be your manager/supervisor, the designated safeguarding children professional, "
    "the data protection/information governance lead",
)
GOLDEN_RULE_5 = _gr(
    5,
    "take steps to protect the identities of any individuals (for example, the child, a carer, "
    "a neighbour, or a colleague) who might suffer harm if their details became known to an "
    "abuser or one of their associates.",
)
GOLDEN_RULE_6 = _gr(
    6,
    "Only share relevant and accurate information with individuals or agencies/organisations "
    "that have a role in safeguarding the child and/or providing their family with support",
)
GOLDEN_RULE_6_MINIMUM = _gr(
    6,
    "you must only share information that is necessary, proportionate for the intended "
    "purpose, relevant, adequate and accurate.",
)
GOLDEN_RULE_7 = _gr(
    7,
    "Record the reasons for your information sharing decision, irrespective of whether or not "
    "you decide to share information.",
)
GOLDEN_RULE_7_REQUESTS = _gr(
    7,
    "When another practitioner or organisation requests information from you, and you decide "
    "not to share it, be prepared to explain why you chose not to do so.",
)
GOLDEN_RULE_7_RECONSIDER = _gr(
    7,
    "Be willing to reconsider your decision if the requestor shares new information that might "
    "cause you to regard information you hold in a new light.",
)
GOLDEN_RULE_7_RATIONALE = _gr(
    7,
    "When recording any decision, clearly set out the rationale and be prepared to explain "
    "your reasons if you are asked.",
)

# --- HM Government advice, May 2024 (000) -------------------------------------------

HM_CONCERN_DEFINED = _hm(
    'Understanding "safeguarding"',
    "A concern could be based on an established risk (e.g. where there is evidence that a "
    "child has suffered harm) or a suspected or potential risk",
)
HM_PERSONAL_DATA = _hm(
    "Annex A: Personal data",
    "is information that relates to an identified or identifiable living individual.",
)
HM_AT_LEAST_ONE_BASIS = _hm(
    "Understanding the term 'lawful basis'",
    "You must identify at least one lawful basis under Article 6 of the UK GDPR for sharing.",
)
HM_NO_BASIS_BETTER = _hm(
    "Lawful bases",
    "No single basis is 'better' or more important than the others and the basis most "
    "appropriate to use will depend on the type of organisation you work for, your purpose "
    "for sharing and the nature of your relationship with the individual whose information "
    "you are sharing.",
)
HM_PUBLIC_SECTOR_BASIS = _hm(
    "Lawful bases: public sector",
    'If you work in a public sector organisation, it is likely that "public task" or "legal '
    'obligation" will be the most appropriate lawful basis for you to use when sharing '
    "information to safeguard or protect the welfare of a child",
)
HM_VOLUNTARY_PRIVATE_BASIS = _hm(
    "Lawful bases: voluntary and private sectors",
    "If you work with children and their families within the voluntary or private sectors, "
    "where your task, function or power does not have a clear basis in law, it is likely that "
    'the lawful basis of using "legitimate interests" may be more appropriate.',
)
HM_LEGAL_OBLIGATION = _hm(
    "Annex A: Legal obligation",
    "Legal obligation provides a lawful basis where the processing of information is necessary "
    "in order to comply with the law.",
)
HM_DOCUMENT_BASIS = _hm(
    "Annex A: Lawful basis",
    "You must determine your lawful basis before you begin processing, and you should document it.",
)
HM_ARTICLE_9 = _hm(
    "Special category data (Article 9)",
    "Safeguarding of children and individuals at risk is one of the substantial public "
    "interest conditions under which the sharing of special category data may be authorised "
    "under Article 9.",
)
HM_SPECIAL_CATEGORY_NEEDS_BOTH = _hm(
    "Annex A: Special category data",
    "In order to share special category data, you need a lawful basis under Article 6 and "
    "must also be able to identify a condition for processing under Article 9 of the UK GDPR.",
)
HM_CONSENT_NOT_DEFAULT = _hm(
    "Why consent is not usually the most appropriate lawful basis",
    "Consent should not be seen as the default lawful basis for sharing personal information "
    "in a child safeguarding context, as it is unlikely to be appropriate in most cases.",
)
HM_CONSENT_WITHDRAWN_DELETE = _hm(
    "Why consent is not usually the most appropriate lawful basis",
    "It also means that the individual is able to withdraw their consent at any time (in "
    "which case the information would need to be deleted).",
)
HM_SEEKING_CONSENT_RISK = _hm(
    "Why consent is not usually the most appropriate lawful basis",
    "seeking consent from a person you believe is neglecting or abusing a child is likely to "
    "undermine safeguarding procedures and may increase the risk of harm to the child or "
    "another person.",
)
HM_CONFIDENTIALITY_DUTY = _hm(
    "Common law duty of confidentiality",
    "The common law duty of confidentiality applies when an individual shares personal "
    "information with you in the expectation that this information will be kept confidential.",
)
HM_CONFIDENTIALITY_LEGAL_REQUIREMENT = _hm(
    "Common law duty of confidentiality",
    "You are legally required to share information (e.g. because legislation or a court order "
    "mandates information sharing)",
)
HM_CONFIDENTIALITY_PUBLIC_INTEREST = _hm(
    "Common law duty of confidentiality",
    "You believe there is an overriding public interest that justifies sharing information "
    "(e.g. where the sharing is necessary for safeguarding purposes) which outweighs the "
    "public interest in maintaining confidentiality, and the sharing of information is "
    "proportionate",
)
HM_NO_SAFETY_CONCERN_CONSENT = _hm(
    "Common law duty of confidentiality",
    "In such situations you will usually need to gain consent from the child, their parent or "
    "carer to share confidential information.",
)
HM_NOT_SURE_SHARE = _hm(
    "Common law duty of confidentiality",
    "If you are not able to determine an accurate understanding of a possible risk without "
    "sharing concerns with others, you should share the relevant information with those who "
    "need to know.",
)
HM_OBJECTION_RECORD = _hm(
    "Retaining a trusted relationship",
    "In any situation where children or their parent(s) or carer(s) object to particular "
    "information sharing, but you decide that nonetheless it is appropriate to share, you "
    "must record your reasons and the legal basis for doing so.",
)
HM_INFORM_EVEN_IF_DUTY = _hm(
    "Retaining a trusted relationship",
    "they should still be informed about what information sharing has taken place and how the "
    "information will be used, wherever possible and safe to do so.",
)
HM_DO_NOT_INFORM = _hm(
    "Retaining a trusted relationship",
    "you should not inform the child or their parent or carer about your decision to share "
    "information if doing so could put a child or others at further risk of harm, or could "
    "compromise effective safeguarding arrangements, including police investigations.",
)
HM_OBJECTION_STILL_SHARE = _hm(
    "Informing the people whose information you have shared",
    "Where a child or their carer objects you should consider their objection but still share "
    "information if you believe it is necessary to protect the child from harm.",
)
HM_URGENT_INFORM_LATER = _hm(
    "Informing the people whose information you have shared",
    "in urgent cases, where a child is at immediate risk of harm, the priority is to share "
    "information quickly to protect the child, regardless of whether the relevant "
    "individual(s) have been informed.",
)
HM_EMERGENCY_SHARE = _hm(
    "Emergencies",
    "In an emergency where you consider there is a risk of harm to a child, you should go "
    "ahead and share information as is necessary and proportionate.",
)
HM_EMERGENCY_DOCUMENT = _hm(
    "Emergencies",
    "You must always document the action you took after the event if you cannot do it at the "
    "time, including recording a clear rationale for your decision.",
)
HM_EARLY_HELP_CONSENT = _hm(
    "The benefits of sharing information early",
    "where a referral to these services is not necessary to protect a child from harm, you "
    "should generally seek the family's consent before doing so.",
)
HM_JUSTIFIED_BY_HARM = _hm(
    "The justification for sharing information",
    "Sharing information for safeguarding purposes can be justified solely based on preventing harm to a child.",
)
HM_MINIMUM_NECESSARY = _hm(
    "Knowing the amount of information to share",
    "only share the personal information that is adequate, relevant and limited to what is "
    "necessary to protect a child from harm.",
)
HM_SEEK_CLARIFICATION = _hm(
    "Knowing the amount of information to share",
    "If in doubt about what information is needed, always seek clarification from the "
    "requesting agency or organisation.",
)
HM_WHEN_IN_DOUBT = _hm(
    "Who to contact if you are unsure",
    "When in doubt about a decision to share personal information, seek advice.",
)
HM_REPORT_TO_CHILDRENS_SERVICES = _hm(
    "Where to report concerns",
    "If a practitioner has concerns about a child's safety, they should share the information "
    "with local authority children's services in line with local procedures.",
)
HM_ADULTS_NOT_INFORMED = _hm(
    "The benefits of sharing information early",
    "it will not be appropriate to inform those adults if doing so will increase the risk of a child suffering harm.",
)

HM_CONFIDENTIALITY_CONDITIONS = _hm(
    "Common law duty of confidentiality",
    "Under the common law, if you believe it is necessary to share confidential information, then you must "
    "be sure that one of the following conditions exists",
)
HM_EMERGENCY_DELAYS = _hm(
    "Emergencies",
    "Delays in sharing information may increase the risk of harm to the child.",
)


# --- Buckinghamshire Information Sharing Code of Practice (004) ---------------------

BUCKS_EARLY_HELP_DEFINED = _bucks(
    "Appendix 1, Early Help",
    "This means the child is not assessed to be at risk of significant harm.",
)
BUCKS_EARLY_HELP_CONSENT = _bucks(
    "Appendix 1, Early Help",
    "At this level of need freely given, informed explicit consent is needed.",
)
BUCKS_SAFEGUARDING_NO_CONSENT = _bucks(
    "Appendix 1, Safeguarding",
    "If there is reasonable cause to believe that the child has suffered, or is likely to "
    "suffer significant harm, then consent is not required in order to make a referral to "
    "Children’s Social Care.",
)
BUCKS_SAFEGUARDING_GOOD_PRACTICE = _bucks(
    "Appendix 1, Safeguarding",
    "professionals should still seek to discuss their concerns with the family and seek their "
    "agreement to making a referral to Children’s Social Care.",
)
BUCKS_DISCUSS_WITHOUT_DELAY = _bucks(
    "Appendix 1, Safeguarding",
    "If a professional has a safeguarding concern about a child, they should discuss with "
    "their line manager or designated safeguarding lead without delay to agree the most "
    "appropriate course of action.",
)
BUCKS_THRESHOLD_UNCLEAR = _bucks(
    "Appendix 1, Safeguarding",
    "In some situations it may be unclear whether or not the threshold for referral to "
    "Children’s Social Care has been met. In these situations, the concern must not be "
    "ignored.",
)
BUCKS_SAFETY_OVERRIDING = _bucks(
    "Appendix 1, Safeguarding",
    "The safety and wellbeing of the child must be the overriding consideration in making any "
    "decisions whether or not to seek consent.",
)
BUCKS_WHEN_NOT_TO_SEEK_CONSENT = _bucks(
    "Appendix 1, When not to seek consent",
    "There are a limited number of circumstances where professional should not seek consent",
)
BUCKS_REASON_RISK_TO_CHILD = _bucks(
    "Appendix 1, When not to seek consent",
    "Place a child at increased risk of significant harm",
)
BUCKS_REASON_HARM_TO_ADULT = _bucks(
    "Appendix 1, When not to seek consent",
    "Place an adult at risk of serious harm",
)
BUCKS_REASON_CRIME = _bucks(
    "Appendix 1, When not to seek consent",
    "Prejudice the prevention or detection of a serious crime",
)
BUCKS_REASON_DELAY = _bucks(
    "Appendix 1, When not to seek consent",
    "Lead to unjustified delay in making enquiries about allegations of significant harm.",
)
BUCKS_RECORD_CONSENT_NOT_SOUGHT = _bucks(
    "Appendix 1, When not to seek consent",
    "If a professional shares information without seeking consent, this should be clearly "
    "recorded, including the reasons for not seeking consent. Recording should set out the "
    "legal basis under which information is being shared.",
)
BUCKS_Q1_PURPOSE = _bucks(
    "Appendix 1, question 1",
    "Is there a clear and legitimate purpose to share the information?",
)
BUCKS_Q1_LEGAL_BASIS = _bucks(
    "Appendix 1, question 1",
    "Is there a legal basis or statutory duty for sharing the information? (e.g. s47 of the "
    "Children Act 1989 or a court has made an order for certain information or files to be "
    "brought before the court)",
)
BUCKS_Q1_NEED_TO_KNOW = _bucks(
    "Appendix 1, question 1",
    "Can either party, requesting or sharing the information, show a sufficient 'need to know'?",
)
BUCKS_Q1_ANONYMOUS = _bucks(
    "Appendix 1, question 1",
    "Is there another way to achieve the objective with less impact on confidentiality? (e.g. "
    "would anonymous data suffice?)",
)
BUCKS_Q2_IDENTIFIABLE = _bucks(
    "Appendix 1, question 2",
    "Does the information enable a person to be identified?",
)
BUCKS_Q2_ANONYMISED_LAWFUL = _bucks(
    "Appendix 1, question 2",
    "If the information is anonymised, it can lawfully be shared as long as the purpose is legitimate.",
)
BUCKS_Q3_CONFIDENTIAL = _bucks(
    "Appendix 1, question 3",
    "Confidential information is information of some sensitivity, which is not already "
    "lawfully in the public domain or readily available from another public source, and which "
    "has been shared in a relationship where the person giving the information understood "
    "that it would not be shared with others.",
)
BUCKS_Q3_NO_BREACH = _bucks(
    "Appendix 1, question 3",
    "A breach of confidence will not occur if there is a recorded legitimate purpose to share, "
    "or if there is evidenced that freely given, explicit informed consent has been obtained.",
)
BUCKS_Q4_CONSENT = _bucks(
    "Appendix 1, question 4",
    "Consent must be freely given, informed and explicit.",
)
BUCKS_Q4_CONFLICT = _bucks(
    "Appendix 1, question 4",
    "If there is any doubt, or in case where there is conflict between the wishes of the "
    "parent and the child or two adults with parental responsibility, then professionals "
    "should seek guidance from their safeguarding lead.",
)
BUCKS_Q4_WITHDRAW = _bucks(
    "Appendix 1, question 4",
    "professionals should be aware that individuals have the right to withdraw consent after they have given it.",
)
BUCKS_Q4_RECORD_LEGAL_BASIS = _bucks(
    "Appendix 1, question 4",
    "All sharing of sensitive information, even where there is consent, should be recorded "
    "including the legal basis for sharing information",
)
BUCKS_Q5_PUBLIC_INTEREST = _bucks(
    "Appendix 1, question 5",
    "Even where sharing of confidential information is not authorised, professionals may "
    "lawfully share it if this can be justified in the public interest.",
)
BUCKS_Q5_CLEAR_RISK = _bucks(
    "Appendix 1, question 5",
    "Where there is a clear risk of significant harm to a child, or serious harm to adults, "
    "the public interest test will almost certainly be satisfied.",
)
BUCKS_Q5_PROPORTIONATE = _bucks(
    "Appendix 1, question 5",
    "the information shared in such circumstances should be proportionate.",
)
BUCKS_Q5_ADVICE = _bucks(
    "Appendix 1, question 5",
    "In deciding whether the public interest justifies disclosing confidential information "
    "without consent, professionals should be able to seek advice from a line manager or "
    "designated safeguarding lead.",
)
BUCKS_Q5_EXPLAIN = _bucks(
    "Appendix 1, question 5",
    "If professionals decide to share confidential information without consent, this should "
    "be explained to the child or their parent, unless to do so would put the child at risk "
    "of harm.",
)
BUCKS_Q5_RECORD = _bucks(
    "Appendix 1, question 5",
    "Professionals must record the context in which the information was shared, the legal "
    "basis for sharing information the perceived level of risk of harm at the time, the data "
    "requested, the data shared and with whom.",
)
BUCKS_Q5_SIGNED_AND_DATED = _bucks(
    "Appendix 1, question 5",
    "ensure that there is a signed and dated entry in the case notes.",
)
BUCKS_Q6_NEED_TO_KNOW = _bucks(
    "Appendix 1, question 6",
    "Share the information with the person or people who need to know",
)
BUCKS_Q6_INFORM = _bucks(
    "Appendix 1, question 6",
    "Inform the person to whom the information relates, and, if different, any other person "
    "who provided the information, if professionals have not already and it is safe to do so.",
)
BUCKS_Q7_RECORD = _bucks(
    "Appendix 1, question 7",
    "Professionals should record all decisions whether or not to share information and why.",
)
BUCKS_Q7_WHAT_AND_WHO = _bucks(
    "Appendix 1, question 7",
    "If the decision is to share, the record should include what information was shared and "
    "with whom, and who gave consent (dated and timed)",
)
BUCKS_PRIMARY_BASES = _bucks(
    "Introduction (GDPR update)",
    "the Partnership recommends that ‘legal obligation’ and ‘public task’ (as defined in the "
    "GDPR) are relied on as the primary basis for processing information to establish whether "
    "or not there is a need to safeguard the welfare of a child.",
)

BUCKS_Q2_LEGAL_ADVICE = _bucks(
    "Appendix 1, question 2",
    "professionals must follow this Code of Practice and where appropriate take legal advice in deciding "
    "whether or not to share the information.",
)
BUCKS_Q4_WHOSE_CONSENT = _bucks(
    "Appendix 1, question 4",
    "Professionals need to consider whose consent should be sought.",
)
BUCKS_Q4_DECISION_PROCESS = _bucks(
    "Appendix 1, question 4",
    "should be recorded including the legal basis for sharing information and the decision making process "
    "for deciding that information should be shared.",
)
BUCKS_CONSENT_DELAY = _bucks(
    "Appendix 1, When not to seek consent",
    "Not gaining consent where it is needed can cause delay in children and families accessing services that "
    "will help meet their needs.",
)


# --- ICO 10-step guide (001) and the local authority myths guide (002) -------------

ICO_STEP_2_PURPOSE = _ico(
    "Step 2",
    "practitioners should define their purpose and use this to justify how much information "
    "they share, and with whom, documenting what they do.",
)
ICO_STEP_8_BASES = _ico(
    "Step 8",
    "the most common bases for sharing information in a safeguarding context are public task "
    "(carrying out a public function), legal obligation (complying with the law) and "
    "legitimate interests",
)
ICO_STEP_8_NO_CONSENT = _ico(
    "Step 8",
    "Consent is not required to share information in safeguarding cases.",
)
ICO_STEP_9_EMERGENCY = _ico(
    "Step 9",
    "practitioners should not hesitate to share information in an emergency, though should document what they do.",
)
MYTHS_EMERGENCY_999 = Citation(MYTHS_GUIDE, "Useful resources", "In an emergency call 999.")
MYTHS_IF_IN_DOUBT = Citation(MYTHS_GUIDE, "Golden rule 3: Seek advice", "If in doubt, ask!")


# --- Categories of concern for case notes -------------------------------------------


class ConcernCategory(NamedTuple):
    """A note category: a stable code for storage, a label for people, and its source."""

    code: str
    label: str
    citation: Citation


_FORMS = "Forms of abuse and neglect"


def _form(code: str, label: str, text: str) -> ConcernCategory:
    return ConcernCategory(code, label, _hm(_FORMS, text))


# In the order the 2024 advice lists them ("including but not limited to").
FORMS_OF_ABUSE_AND_NEGLECT: tuple[ConcernCategory, ...] = (
    _form("sexual_abuse", "Sexual abuse", "sexual abuse"),
    _form("physical_abuse", "Physical abuse", "physical abuse"),
    _form("emotional_abuse", "Emotional abuse", "emotional abuse"),
    _form(
        "neglect",
        "Neglect",
        "neglect (i.e., a child might be left hungry or dirty, or without proper clothing, "
        "shelter, supervision, health care or denied their right to education)",
    ),
    _form(
        "domestic_abuse",
        "Domestic abuse, including controlling or coercive behaviour",
        "domestic abuse, including controlling or coercive behaviour",
    ),
    _form(
        "criminal_exploitation",
        "Exploitation by criminal gangs and organised crime groups",
        "exploitation by criminal gangs and organised crime groups",
    ),
    _form(
        "serious_violence",
        "Serious or physical violence (for example knife and gun crime)",
        "serious or physical violence (i.e., knife and gun crime)",
    ),
    _form(
        "trafficking_modern_slavery",
        "Trafficking and modern slavery",
        "trafficking and modern slavery",
    ),
    _form("online_abuse", "Online abuse", "online abuse"),
    _form("child_on_child_abuse", "Child on child abuse", "child on child abuse"),
    _form("sexual_exploitation", "Sexual exploitation", "sexual exploitation"),
    _form("female_genital_mutilation", "Female genital mutilation", "female genital mutilation"),
    _form(
        "radicalisation",
        "Influences of extremism leading to radicalisation",
        "influences of extremism leading to radicalisation",
    ),
    _form(
        "parental_mental_health",
        "Exposure to parental mental health issues",
        "exposure to parental mental health issues",
    ),
    _form("drug_or_alcohol_abuse", "Drug or alcohol abuse", "drug or alcohol abuse"),
)

# Not a form of abuse: notes about a child's welfare where there is no safety concern
# (early help). Kept as its own category so such notes are never mislabelled as abuse.
GENERAL_WELFARE = ConcernCategory(
    "general_welfare",
    "General welfare",
    _hm(
        "The importance of sharing information",
        "situations where timely supportive intervention could prevent concerns about a "
        "child's wellbeing from escalating",
    ),
)

CONCERN_CATEGORIES: tuple[ConcernCategory, ...] = (*FORMS_OF_ABUSE_AND_NEGLECT, GENERAL_WELFARE)


def concern_category(code: str) -> ConcernCategory:
    """The category with this code; ``KeyError`` names the code if there is none."""
    for category in CONCERN_CATEGORIES:
        if category.code == code:
            return category
    raise KeyError(code)


def all_citations() -> tuple[Citation, ...]:
    """Every citation defined in this module, for checks that quotes are still verbatim."""
    found: dict[Citation, None] = {}
    for value in globals().values():
        if isinstance(value, Citation):
            found[value] = None
    for category in CONCERN_CATEGORIES:
        found[category.citation] = None
    return tuple(found)
