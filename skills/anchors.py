"""Which O*NET level anchors read as general descriptions, and what replaces the others.

O*NET anchors each level of a skill with an example task, and many of those tasks belong to one
occupation: a surgeon's, a lawyer's, a restaurant's. Copied into a software company's framework as
"what level 4 means", they read as nonsense ("Write legal brief challenging a federal law" for
Critical Thinking). So when a skill is adopted, an anchor listed here is replaced by a descriptor
written for the product, saying the same level of the same skill in words that fit any office or
engineering work; anchors not listed (they already read generally, e.g. "Choose a software
application to complete a work assignment") are kept as O*NET wrote them.

The list is keyed by O*NET's element id and the anchor's exact text, so that a newer O*NET release
that rewords an anchor falls back to its own words instead of silently getting a replacement meant
for other words; tests check every entry against the shipped release. The organisation can still
edit every descriptor on the skill's page.
"""

from __future__ import annotations

# (O*NET element id, anchor text) -> the product's general descriptor for that level.
OCCUPATION_SPECIFIC_ANCHORS: dict[tuple[str, str], str] = {
    # Reading Comprehension
    ("2.A.1.a", "Read a scientific journal article describing surgical procedures"): (
        "Read and critique dense specialist material, such as a research paper or a formal "
        "specification"
    ),
    # Active Listening
    ("2.A.1.b", "Take a customer's order"): (
        "Follow a colleague's spoken request and confirm the details"
    ),
    ("2.A.1.b", "Answer inquiries regarding credit references"): (
        "Listen to someone describe a problem, ask questions that draw out what they need, and "
        "answer it"
    ),
    ("2.A.1.b", "Serve as a judge in a complex legal disagreement"): (
        "Follow a long, contested discussion between several parties and weigh each point of "
        "view fairly"
    ),
    # Writing
    ("2.A.1.c", "Write down a guest's order at a restaurant"): (
        "Write a short, clear note or message, such as an update on a ticket"
    ),
    ("2.A.1.c", "Write a novel for publication"): (
        "Write long, carefully structured documents for a wide audience, such as a design "
        "proposal or a published guide"
    ),
    # Speaking
    ("2.A.1.d", "Greet tourists and explain tourist attractions"): (
        "Give a simple explanation or update, such as at a team's daily stand-up"
    ),
    ("2.A.1.d", "Argue a legal case before the Supreme Court"): (
        "Present and defend a complex position to a critical, senior audience, such as a major "
        "proposal to leadership or a conference talk"
    ),
    # Mathematics
    ("2.A.1.e", "Count the amount of change to be given to a customer"): (
        "Do simple arithmetic, such as adding up figures or working out a percentage"
    ),
    ("2.A.1.e", "Calculate the square footage of a new home under construction"): (
        "Apply algebra or basic statistics to a practical problem, such as estimating capacity"
    ),
    # Science
    ("2.A.1.f", "Conduct standard tests to determine soil quality"): (
        "Follow an established procedure to measure or test something and record the results"
    ),
    ("2.A.1.f", "Analyze aerodynamic systems to determine the practicality of a design"): (
        "Design experiments and analyse complex systems scientifically to judge whether a design "
        "will work"
    ),
    # Critical Thinking
    ("2.A.2.a", "Determine whether a subordinate has a good excuse for being late"): (
        "Judge whether a simple explanation or argument holds up"
    ),
    ("2.A.2.a", "Write legal brief challenging a federal law"): (
        "Weigh the strengths and weaknesses of competing approaches to a complex, high-stakes "
        "problem and make a well-reasoned case for one"
    ),
    # Active Learning
    (
        "2.A.2.b",
        "Determine the impact of new menu changes on a restaurant's purchasing requirements",
    ): (
        "Work out what new information, such as a change in requirements or a new tool, means "
        "for current work and plans"
    ),
    # Learning Strategies
    ("2.A.2.c", "Apply principles of educational psychology to develop new teaching methods"): (
        "Design new ways for others to learn, such as an onboarding or training programme, "
        "grounded in how people learn"
    ),
    # Social Perceptiveness
    ("2.B.1.a", "Counsel patients who are depressed during a crisis period"): (
        "Read and respond to people's feelings and motives in a tense, emotionally charged "
        "situation, such as a colleague in crisis"
    ),
    # Coordination
    ("2.B.1.b", "Schedule appointments for a medical clinic"): (
        "Arrange meetings or hand-offs with a few colleagues"
    ),
    ("2.B.1.b", "Work with others to put a new roof on a house"): (
        "Coordinate work with several people to deliver a shared piece of work"
    ),
    # Persuasion
    ("2.B.1.c", "Solicit donations for a charity"): (
        "Ask colleagues to support a simple request, such as a small change to a plan"
    ),
    ("2.B.1.c", "Change the opinion of the jury in a complex legal case"): (
        "Change the minds of sceptical stakeholders on a complex, contested decision"
    ),
    # Negotiation
    ("2.B.1.d", "Contract with a wholesaler to sell items at a given cost"): (
        "Negotiate terms with a vendor or partner, such as the price or scope of a contract"
    ),
    ("2.B.1.d", "Work as an ambassador in negotiating a new treaty"): (
        "Lead complex negotiations between parties with conflicting interests, such as a major "
        "partnership agreement"
    ),
    # Instructing
    ("2.B.1.e", "Demonstrate a surgical procedure to interns in a teaching hospital"): (
        "Teach complex, specialised techniques to other practitioners, such as in an advanced "
        "workshop"
    ),
    # Service Orientation
    ("2.B.1.f", "Ask customers if they would like a cup of coffee"): (
        "Notice when someone needs a hand and offer simple help"
    ),
    ("2.B.1.f", "Make flight reservations for customers using an online booking site"): (
        "Resolve users' or colleagues' requests, going beyond what they asked where it helps"
    ),
    ("2.B.1.f", "Direct relief agency operations in a disaster area"): (
        "Lead how a team serves the people who depend on it under pressure, such as during a "
        "major incident"
    ),
    # Complex Problem Solving
    ("2.B.2.i", "Lay out tools to complete a job"): (
        "Break a simple problem into steps and gather what is needed to solve it"
    ),
    ("2.B.2.i", "Redesign a floor layout to take advantage of new manufacturing techniques"): (
        "Rework how something is done to solve a problem with several interacting parts"
    ),
    ("2.B.2.i", "Develop a plan to provide emergency relief for a major metropolitan area"): (
        "Develop a plan for a large, novel and ill-defined problem with many stakeholders and "
        "unknowns"
    ),
    # Operations Analysis
    ("2.B.3.a", "Identify the control system needed for a new process production plant"): (
        "Analyse the needs of a large new system and set out the requirements it must meet"
    ),
    # Technology Design
    ("2.B.3.b", "Adjust exercise equipment for use by a customer"): (
        "Adapt an existing tool or configuration to fit someone's needs"
    ),
    ("2.B.3.b", "Redesign the handle on a hand tool for easier gripping"): (
        "Redesign part of a product or system so that it is easier to use"
    ),
    ("2.B.3.b", "Create new technology for producing industrial diamonds"): (
        "Create new technology, such as a new product or platform, for needs no existing one meets"
    ),
    # Equipment Selection
    ("2.B.3.c", "Select a tool to adjust a loose part on a bicycle"): (
        "Choose the right tool for a simple, familiar task"
    ),
    ("2.B.3.c", "Identify the equipment needed to produce a new product line"): (
        "Identify the tools, services and infrastructure a new product or team needs"
    ),
    # Installation
    ("2.B.3.d", "Install a new air filter in an air conditioner"): (
        "Install or set up standard software or equipment by following instructions"
    ),
    ("2.B.3.d", "Install a speaker system in a car"): (
        "Install and configure a system of several components so that it works as specified"
    ),
    ("2.B.3.d", "Install a custom-made production machine for a new product"): (
        "Install and commission a custom, complex system, such as the infrastructure for a new "
        "product"
    ),
    # Programming
    ("2.B.3.e", "Write programs to analyze geological data for existence of mineral deposits"): (
        "Write complex programs for hard, specialised problems, such as large-scale data "
        "analysis or core systems software"
    ),
    # Operations Monitoring
    ("2.B.3.g", "Monitor machine functions on an automated production line"): (
        "Watch a running system's dashboards and alerts and act when something drifts out of normal"
    ),
    ("2.B.3.g", "Monitor feedback control in a processing facility to maintain production flow"): (
        "Monitor a complex system of interdependent parts and keep it running smoothly as "
        "conditions change"
    ),
    # Operation and Control
    (
        "2.B.3.h",
        "Adjust the speed of assembly line equipment based on the product being assembled",
    ): (
        "Adjust how a system runs, such as its configuration or capacity, to suit the work at hand"
    ),
    ("2.B.3.h", "Control aircraft approach and landing at a large airport during a busy period"): (
        "Control a complex, critical system in real time under pressure, such as during a major "
        "incident"
    ),
    # Equipment Maintenance
    ("2.B.3.j", "Add oil to an engine as indicated by a warning light"): (
        "Carry out routine upkeep when prompted, such as applying a recommended update"
    ),
    ("2.B.3.j", "Clean moving parts in production machinery"): (
        "Carry out scheduled maintenance of systems or equipment, such as patches and upgrades"
    ),
    ("2.B.3.j", "Conduct maintenance checks on an aircraft"): (
        "Plan and carry out maintenance of complex, critical systems where a failure is costly"
    ),
    # Troubleshooting
    ("2.B.3.k", "Identify the source of a leak by looking under a machine"): (
        "Find the cause of a simple, visible fault"
    ),
    ("2.B.3.k", "Identify the circuit causing an electrical system to fail"): (
        "Trace a failure through several components of a system to its cause"
    ),
    # Repairing
    ("2.B.3.l", "Tighten a screw to get a door to close properly"): (
        "Make a simple fix to something that is not working properly"
    ),
    ("2.B.3.l", "Replace a faulty hydraulic valve"): (
        "Replace or repair a faulty component of a system"
    ),
    ("2.B.3.l", "Repair structural damage after an earthquake"): (
        "Restore a system after extensive damage, such as recovering from a major outage"
    ),
    # Quality Control Analysis
    ("2.B.3.m", "Assess new parts for precision and accuracy to specifications"): (
        "Check new work against its specification, such as reviewing a change for correctness"
    ),
    # Judgment and Decision Making
    ("2.B.4.e", "Evaluate a loan application for degree of risk"): (
        "Weigh the risks and benefits of an option before deciding, such as whether to ship a "
        "change"
    ),
    (
        "2.B.4.e",
        "Decide whether a manufacturing company should invest in new robotics technology",
    ): (
        "Make a decision with major, long-term consequences for the organisation, such as "
        "whether to invest in a new platform"
    ),
    # Systems Analysis
    ("2.B.4.g", "Determine how a new piece of equipment will affect production rates"): (
        "Determine how a change to one part of a system will affect the rest, such as its "
        "throughput"
    ),
    ("2.B.4.g", "Identify how changes in tax laws affect locations of manufacturing operations"): (
        "Work out how changes in the wider environment, such as new regulation, affect how a "
        "whole organisation or system should work"
    ),
    # Time Management
    ("2.B.5.a", "Allocate the time of scientists to multiple research projects"): (
        "Allocate the time of many people across several concurrent projects"
    ),
    # Management of Material Resources
    ("2.B.5.c", "Evaluate an annual uniform service contract for delivery drivers"): (
        "Evaluate a recurring contract for equipment or services, such as a software licence"
    ),
    # Management of Personnel Resources
    (
        "2.B.5.d",
        "Direct the activities of a road repair crew with minimal disruption of traffic flow",
    ): "Direct the work of a team so that it gets done with minimal disruption to others",
    # Knowledge areas (Knowledge.txt): the ones software occupations rate highly.
    # Administration and Management
    ("2.C.1.a", "Approve a reimbursement request"): (
        "Follow the organisation's routine procedures, such as approving an expense claim"
    ),
    ("2.C.1.a", "Manage a multimillion-dollar company"): (
        "Run a large organisation or business unit: its strategy, budget and people"
    ),
    # Customer and Personal Service
    ("2.C.1.e", "Process a customer's dry-cleaning drop off"): (
        "Handle a routine request from a customer or colleague"
    ),
    ("2.C.1.e", "Be responsible for 10 children at daycare"): (
        "Look after a group of users or customers over time, such as supporting a team's "
        "day-to-day requests"
    ),
    ("2.C.1.e", "Respond to a citizen's request for assistance after a major disaster"): (
        "Lead the response to customers during a major incident, such as a service outage"
    ),
    # Engineering and Technology
    ("2.C.3.b", "Install a door lock"): (
        "Apply a documented technical procedure, such as installing and configuring a tool"
    ),
    ("2.C.3.b", "Design a custom office chair"): (
        "Design a component to a given set of requirements"
    ),
    ("2.C.3.b", "Plan for the impact of weather in designing a bridge"): (
        "Design a large system that must withstand demanding conditions, such as peak load or "
        "the failure of its parts"
    ),
    # Design
    ("2.C.3.c", "Draw a straight line 4 3/16 inches long"): (
        "Produce a simple diagram to a given layout"
    ),
    ("2.C.3.c", "Design plans for remodeling a kitchen"): (
        "Draw up the design of a component or a screen, with its constraints"
    ),
    ("2.C.3.c", "Develop detailed plans for a high-rise office building"): (
        "Produce the detailed design of a large system, such as its architecture diagrams"
    ),
    # Education and Training
    ("2.C.6", "Show someone how to bowl"): ("Show a colleague how to do a simple task"),
    # English Language
    ("2.C.7.a", "Teach a college English class"): (
        "Write and edit precise, well-structured English for a demanding audience, and teach "
        "others to"
    ),
}


def general_descriptor(element_id: str, anchor: str) -> str:
    """The level descriptor an O*NET anchor becomes: the product's general wording where the
    anchor names one occupation's task, else the anchor itself."""
    text = anchor.strip()
    return OCCUPATION_SPECIFIC_ANCHORS.get((element_id, text), text)
