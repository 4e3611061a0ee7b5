"""The static shape of the synthetic shop: category tree, brands and the words used in text.

Category codes follow the REES46 style (`top.sub.leaf`, lowercase, underscores), brands are
lowercase as in REES46. Each leaf carries a median price (USD) and a relative traffic weight;
the generator scales both into a catalog. Consumable leaves (beauty, diapers, printer
cartridges) also carry a replenishment cycle: their buyers come back for the same product.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Leaf:
    """One leaf category: its dotted REES46 code, median price and relative traffic.

    `cycle_days` > 0 marks a consumable: a buyer runs out after about that many days and may
    buy the same product again (replenishment). Durables have 0.
    """

    code: str
    median_price: float
    traffic: float
    cycle_days: float = 0.0

    @property
    def consumable(self) -> bool:
        return self.cycle_days > 0

    @property
    def top(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def path_titles(self) -> list[str]:
        """The Amazon-style category path, e.g. ["Electronics", "Audio", "Headphone"]."""
        return [title(part) for part in self.code.split(".")]

    @property
    def name(self) -> str:
        """The leaf's display name, e.g. "Water Heater"."""
        return title(self.code.rsplit(".", 1)[-1])


def title(segment: str) -> str:
    """`country_yard` -> `Country Yard`."""
    return " ".join(word.capitalize() for word in segment.split("_"))


LEAVES: tuple[Leaf, ...] = (
    Leaf("electronics.smartphone", 320.0, 30.0),
    Leaf("electronics.audio.headphone", 45.0, 6.0),
    Leaf("electronics.audio.acoustic", 90.0, 1.5),
    Leaf("electronics.audio.subwoofer", 120.0, 0.6),
    Leaf("electronics.video.tv", 420.0, 5.0),
    Leaf("electronics.video.projector", 380.0, 0.5),
    Leaf("electronics.clocks", 180.0, 3.0),
    Leaf("electronics.tablet", 260.0, 1.5),
    Leaf("electronics.camera.photo", 520.0, 0.6),
    Leaf("electronics.camera.video", 300.0, 0.4),
    Leaf("electronics.telephone", 35.0, 0.7),
    Leaf("appliances.kitchen.washer", 330.0, 3.0),
    Leaf("appliances.kitchen.refrigerators", 560.0, 2.5),
    Leaf("appliances.kitchen.microwave", 95.0, 0.9),
    Leaf("appliances.kitchen.kettle", 30.0, 0.8),
    Leaf("appliances.kitchen.blender", 55.0, 0.7),
    Leaf("appliances.kitchen.coffee_machine", 240.0, 0.6),
    Leaf("appliances.kitchen.hood", 160.0, 0.5),
    Leaf("appliances.kitchen.dishwasher", 410.0, 0.6),
    Leaf("appliances.environment.vacuum", 170.0, 2.0),
    Leaf("appliances.environment.water_heater", 140.0, 0.9),
    Leaf("appliances.environment.air_heater", 60.0, 0.7),
    Leaf("appliances.environment.air_conditioner", 450.0, 0.7),
    Leaf("appliances.personal.hair_cutter", 40.0, 0.6),
    Leaf("appliances.iron", 45.0, 0.6),
    Leaf("computers.notebook", 650.0, 5.0),
    Leaf("computers.desktop", 820.0, 1.0),
    Leaf("computers.peripherals.monitor", 230.0, 1.2),
    Leaf("computers.peripherals.printer", 190.0, 0.7),
    Leaf("computers.peripherals.mouse", 25.0, 0.6),
    Leaf("computers.peripherals.keyboard", 40.0, 0.5),
    Leaf("computers.components.videocards", 480.0, 0.8),
    Leaf("computers.components.cpu", 260.0, 0.5),
    Leaf("computers.components.hdd", 80.0, 0.5),
    Leaf("computers.network.router", 60.0, 0.5),
    Leaf("furniture.living_room.sofa", 540.0, 0.9),
    Leaf("furniture.living_room.cabinet", 230.0, 0.5),
    Leaf("furniture.living_room.chair", 120.0, 0.5),
    Leaf("furniture.bedroom.bed", 420.0, 0.6),
    Leaf("furniture.kitchen.table", 190.0, 0.4),
    Leaf("furniture.bathroom.bath", 310.0, 0.3),
    Leaf("furniture.universal.light", 55.0, 0.4),
    Leaf("apparel.shoes.keds", 70.0, 1.5),
    Leaf("apparel.shoes.sandals", 40.0, 0.7),
    Leaf("apparel.shoes.slipons", 45.0, 0.4),
    Leaf("apparel.jeans", 55.0, 0.6),
    Leaf("apparel.shirt", 30.0, 0.6),
    Leaf("apparel.trousers", 45.0, 0.4),
    Leaf("apparel.jacket", 110.0, 0.6),
    Leaf("apparel.dress", 60.0, 0.5),
    Leaf("apparel.underwear", 18.0, 0.4),
    Leaf("auto.accessories.player", 90.0, 0.6),
    Leaf("auto.accessories.videoregister", 75.0, 0.6),
    Leaf("auto.accessories.alarm", 120.0, 0.3),
    Leaf("auto.accessories.compressor", 45.0, 0.3),
    Leaf("construction.tools.drill", 85.0, 0.9),
    Leaf("construction.tools.saw", 120.0, 0.4),
    Leaf("construction.tools.welding", 210.0, 0.3),
    Leaf("construction.tools.generator", 390.0, 0.2),
    Leaf("construction.components.faucet", 65.0, 0.4),
    Leaf("kids.toys", 28.0, 1.2),
    Leaf("kids.carriage", 260.0, 0.6),
    Leaf("kids.dolls", 30.0, 0.4),
    Leaf("kids.skates", 50.0, 0.3),
    Leaf("kids.fmcg.diapers", 22.0, 0.5, cycle_days=30.0),
    Leaf("sport.bicycle", 380.0, 0.8),
    Leaf("sport.trainer", 290.0, 0.4),
    Leaf("sport.tennis", 70.0, 0.2),
    Leaf("sport.ski", 330.0, 0.2),
    Leaf("sport.diving", 95.0, 0.2),
    Leaf("accessories.bag", 60.0, 0.8),
    Leaf("accessories.wallet", 35.0, 0.4),
    Leaf("accessories.umbrella", 20.0, 0.2),
    Leaf("country_yard.lawn_mower", 270.0, 0.4),
    Leaf("country_yard.cultivator", 340.0, 0.2),
    Leaf("country_yard.watering", 35.0, 0.3),
    Leaf("medicine.tools.tonometer", 45.0, 0.3),
    Leaf("stationery.cartrige", 30.0, 0.3, cycle_days=75.0),
    Leaf("beauty.skin_care", 22.0, 0.9, cycle_days=45.0),
    Leaf("beauty.hair_care", 12.0, 0.6, cycle_days=40.0),
    Leaf("beauty.fragrance", 55.0, 0.5, cycle_days=120.0),
)

TOPS: tuple[str, ...] = tuple(dict.fromkeys(leaf.top for leaf in LEAVES))

# Brands per top-level category, most popular first (product counts follow a Zipf-like share).
_BRAND_LISTS: dict[str, str] = {
    "electronics": (
        "samsung apple xiaomi huawei sony lg oppo jbl philips honor realme nokia "
        "panasonic canon nikon lenovo jvc vivo meizu haier hisense fitbit garmin marshall"
    ),
    "appliances": (
        "bosch samsung lg indesit beko philips electrolux tefal redmond polaris haier "
        "ariston zanussi gorenje braun delonghi vitek midea kenwood elenberg aqua "
        "hotpoint"
    ),
    "computers": (
        "lenovo hp asus acer dell apple msi logitech gigabyte intel amd kingston tp-link "
        "canon epson seagate aoc pulser huawei defender"
    ),
    "furniture": (
        "brw ikea mebelev dreamline askona lorena sv-mebel stolline triya hoff cersanit roca"
    ),
    "apparel": (
        "nike adidas puma baden reebok levis zara mango tommy lacoste crocs skechers "
        "new-balance calvin-klein asics fila"
    ),
    "auto": "pioneer kenwood neoline starline sho-me alpine mystery berkut xiaomi prology",
    "construction": (
        "bosch makita dewalt metabo interskol hammer ryobi grohe hansgrohe resanta huter stanley"
    ),
    "kids": (
        "lego hasbro mattel chicco pampers huggies barbie hotwheels cybex tutis merries playmobil"
    ),
    "sport": ("stern stels forward merida torneo head wilson atomic salomon cressi kettler oxygen"),
    "accessories": (
        "samsonite guess tommy michael-kors wenger fabretti lacoste zest doppler calvin-klein"
    ),
    "country_yard": "husqvarna gardena makita champion patriot bosch huter",
    "medicine": "omron and microlife beurer b-well",
    "stationery": "hp canon epson brother xerox cactus",
    "beauty": (
        "loreal nivea garnier shiseido estel dove pantene vichy lancome creed clinique "
        "la-roche-posay"
    ),
}
BRANDS: dict[str, tuple[str, ...]] = {
    top: tuple(names.split()) for top, names in _BRAND_LISTS.items()
}

MODEL_SERIES: tuple[str, ...] = (
    "A",
    "S",
    "X",
    "Z",
    "M",
    "G",
    "K",
    "P",
    "R",
    "T",
    "V",
    "Q",
    "Pro ",
    "Max ",
    "Neo ",
    "Air ",
    "Ultra ",
    "Lite ",
    "Mini ",
    "Plus ",
)
MODEL_SUFFIXES: tuple[str, ...] = ("", "", "", "", " Pro", " Plus", " Max", " Lite", "s", " SE")

FEATURES: tuple[str, ...] = (
    "{brand} quality you can rely on",
    "Compact {leaf_lower} that fits any space",
    "Model {model}, released {year}",
    "{warranty}-year manufacturer warranty",
    "Energy efficient design",
    "Easy to set up, no tools required",
    "Durable materials built for everyday use",
    "Includes user manual and quick start guide",
    "Available in {color}",
    "Lightweight: {weight} lbs",
    "Top rated {leaf_lower} in {top}",
    "Free returns within 30 days",
)
COLORS: tuple[str, ...] = ("black", "white", "silver", "graphite", "blue", "red", "beige")

DESCRIPTIONS: tuple[str, ...] = (
    "The {brand} {model} {leaf_lower} combines reliable performance with a clean design.",
    "Meet the {model}: a {leaf_lower} from {brand} designed for everyday use.",
    "Upgrade your {top_lower} setup with the {brand} {model}.",
    "A dependable {leaf_lower} at a fair price, backed by {brand}.",
)

REVIEW_TITLES: dict[int, tuple[str, ...]] = {
    5: (
        "Love it",
        "Excellent {leaf_lower}",
        "Five Stars",
        "Exactly what I needed",
        "Great value",
        "Highly recommend",
        "Perfect",
        "Best {leaf_lower} I've owned",
    ),
    4: (
        "Very good",
        "Good {leaf_lower} for the price",
        "Solid choice",
        "Happy with it",
        "Four Stars",
        "Works well",
    ),
    3: ("It's okay", "Average", "Does the job", "Mixed feelings", "Three Stars", "Decent"),
    2: ("Disappointed", "Not as described", "Expected more from {brand}", "Two Stars", "Meh"),
    1: ("Stopped working", "Do not buy", "Waste of money", "One Star", "Returned it"),
}

REVIEW_SENTENCES: dict[int, tuple[str, ...]] = {
    5: (
        "This {leaf_lower} is fantastic.",
        "Works perfectly right out of the box.",
        "{brand} did a great job with this one.",
        "Build quality is excellent and it looks great.",
        "I would buy it again without a second thought.",
        "Arrived quickly and well packaged.",
        "Worth every penny.",
    ),
    4: (
        "Good {leaf_lower} overall.",
        "Does what it says, with a couple of small quirks.",
        "Happy with the purchase, though the manual could be clearer.",
        "Nice quality for the money.",
        "Setup took a few minutes but it works well.",
    ),
    3: (
        "It's fine, nothing special.",
        "Average quality for a {brand} product.",
        "Some things I like, some I don't.",
        "It works, but I expected a bit more at this price.",
    ),
    2: (
        "Not great.",
        "The {leaf_lower} feels cheaper than it looks in the pictures.",
        "Had some issues after a couple of weeks.",
        "Customer support from {brand} was slow to respond.",
    ),
    1: (
        "Broke after a few days.",
        "Arrived damaged and support was no help.",
        "Does not work as advertised.",
        "I returned it and bought a different {leaf_lower}.",
        "Very poor quality, avoid.",
    ),
}
