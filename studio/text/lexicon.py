"""The vocabulary of the copywriting world: businesses, audiences, tones and rhymes.

Data only; :mod:`studio.text.world` writes copy from it and :mod:`studio.text.checker` judges copy
against it. A tone's ``markers`` are the words that show it; no other part of the lexicon may use
them (``tests/unit/test_text_world.py`` checks), so a marker in a text is evidence of its tone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BusinessType:
    suffixes: tuple[str, ...]  # the second word(s) of a business name: "Bloom Bakehouse"
    products: tuple[str, ...]  # what it sells, plural or mass nouns: "our {product} are ..."


BUSINESS_TYPES: dict[str, BusinessType] = {
    "bakery": BusinessType(("Bakery", "Bakehouse", "Ovens"),
                           ("sourdough loaves", "cinnamon buns", "croissants", "birthday cakes", "rye bread", "fruit tarts")),
    "coffee shop": BusinessType(("Coffee", "Roasters", "Espresso Bar"),
                                ("flat whites", "cold brew", "oat lattes", "pour-overs", "mochas", "single-origin beans")),
    "bookshop": BusinessType(("Books", "Bookshop", "Pages"),
                             ("novels", "picture books", "signed first editions", "poetry", "mysteries", "travel guides")),
    "florist": BusinessType(("Flowers", "Florist", "Blooms"),
                            ("bouquets", "peonies", "wedding flowers", "sunflowers", "dried posies", "house plants")),
    "gym": BusinessType(("Gym", "Fitness", "Strength Club"),
                        ("personal training", "spin classes", "free weights", "boxing sessions", "strength plans", "day passes")),
    "yoga studio": BusinessType(("Yoga", "Yoga Studio", "Stretch"),
                                ("morning flows", "yin classes", "breathwork", "beginner courses", "mat pilates", "sound baths")),
    "bike shop": BusinessType(("Cycles", "Bikes", "Wheelworks"),
                              ("city bikes", "e-bikes", "tune-ups", "puncture repairs", "kids' bikes", "helmets")),
    "pet groomer": BusinessType(("Grooming", "Pet Spa", "Paws"),
                                ("puppy trims", "nail clips", "bubble baths", "de-shedding", "cat grooms", "spa days")),
    "barber": BusinessType(("Barbers", "Barbershop", "Cuts"),
                           ("skin fades", "beard trims", "hot towel shaves", "classic cuts", "kids' cuts", "hair designs")),
    "tea house": BusinessType(("Tea House", "Teas", "Tea Rooms"),
                              ("loose-leaf teas", "matcha", "scones", "chai", "afternoon teas", "herbal blends")),
    "candle maker": BusinessType(("Candles", "Candle Works", "Wax"),
                                 ("soy candles", "wax melts", "scented tins", "gift sets", "reed diffusers", "pillar candles")),
    "plant nursery": BusinessType(("Nursery", "Plants", "Greenhouse"),
                                  ("seedlings", "fruit trees", "succulents", "herb kits", "climbing roses", "ferns")),
    "pizzeria": BusinessType(("Pizza", "Pizzeria", "Slice"),
                             ("wood-fired pizzas", "garlic knots", "margheritas", "calzones", "slices", "tiramisu")),
    "ice cream parlour": BusinessType(("Ice Cream", "Creamery", "Scoops"),
                                      ("sundaes", "waffle cones", "sorbets", "milkshakes", "gelato", "sprinkle tubs")),
    "tailor": BusinessType(("Tailoring", "Tailors", "Alterations"),
                           ("made-to-measure suits", "hemming", "alterations", "wedding dresses", "shirts", "repairs")),
    "jeweller": BusinessType(("Jewellers", "Jewellery", "Gems"),
                             ("engagement rings", "silver earrings", "charm bracelets", "custom pendants", "watch repairs", "gold chains")),
    "hardware store": BusinessType(("Hardware", "Tools", "Supply"),
                                   ("power drills", "paint", "garden tools", "screws and fixings", "ladders", "key cutting")),
    "laundry": BusinessType(("Laundry", "Launderette", "Wash"),
                            ("service washes", "dry cleaning", "duvet washes", "ironing", "same-day pickups", "stain removal")),
    "bookkeeper": BusinessType(("Bookkeeping", "Accounts", "Ledger"),
                               ("tax returns", "payroll", "monthly accounts", "VAT filings", "invoices", "budget plans")),
    "photographer": BusinessType(("Photography", "Studio", "Portraits"),
                                 ("family portraits", "wedding photos", "headshots", "pet portraits", "prints", "photo books")),
    "record shop": BusinessType(("Records", "Vinyl", "Sounds"),
                                ("vinyl records", "turntables", "rare pressings", "gift vouchers", "cassettes", "listening sessions")),
    "toy shop": BusinessType(("Toys", "Toy Box", "Playthings"),
                             ("wooden toys", "board games", "puzzles", "plush animals", "craft kits", "kites")),
    "wine bar": BusinessType(("Wine Bar", "Cellars", "Vino"),
                             ("natural wines", "cheese boards", "tasting flights", "sparkling wines", "small plates", "rosés")),
    "cleaning service": BusinessType(("Cleaning", "Cleaners", "Sparkle"),
                                     ("deep cleans", "weekly cleans", "oven cleaning", "window cleaning", "move-out cleans", "carpet cleaning")),
}

# First words of business names (a place, a plant, a thing) and owners' names ("Rosa's").
NAME_WORDS: tuple[str, ...] = (
    "Bloom", "Maple", "Harbor", "Copper", "Juniper", "Nova", "Willow", "Ember", "Pebble", "Saffron", "Fern",
    "Cobalt", "Hazel", "Marlow", "Orchard", "Sparrow", "Birch", "Clover", "Indigo", "Lark", "Meadow", "Oak",
    "Poppy", "Quill", "Rowan", "Sage", "Thistle", "Wren", "Aster", "Beacon", "Cedar", "Dune", "Elm", "Fable",
    "Garnet", "Heron", "Iris", "Jasper", "Kestrel", "Linden", "Mosaic", "Nimbus", "Opal", "Pine", "Ripple",
    "Slate", "Tandem", "Umber", "Vale", "Wharf", "Yarrow", "Zephyr", "Acorn", "Bramble", "Cinder", "Drift",
    "Echo", "Flint", "Grove", "Hollow", "Ivy", "Kite", "Lantern", "Moss", "North", "Olive", "Pepper", "Raven",
    "Summit", "Tide", "Union", "Violet", "Amber", "Brook", "Comet", "Dove", "Gable", "Honey", "Island", "Kiln",
    "Lumen", "Mill", "Nettle", "Otter", "Prism", "Reed", "Sorrel", "Tulip", "Upland", "Vesper", "Marigold",
)
OWNER_NAMES: tuple[str, ...] = (
    "Rosa", "Ahmed", "Mei", "Kofi", "Ingrid", "Pablo", "Aisha", "Tomas", "Priya", "Lars", "Nadia", "Oscar",
    "Yuki", "Bruno", "Fatima", "Gus", "Lena", "Marco", "Zara", "Olu",
)

AUDIENCES: tuple[str, ...] = (
    "busy parents", "students", "new homeowners", "retirees", "dog owners", "runners", "remote workers",
    "first-time buyers", "night owls", "foodies", "gamers", "couples", "small business owners", "travellers",
    "teens", "gardeners", "new mums", "commuters", "book lovers", "weekend cyclists", "office teams",
    "music fans", "grandparents", "nurses",
)


@dataclass(frozen=True)
class Tone:
    markers: tuple[str, ...]  # lowercase words that show the tone; the checker looks for them
    adjectives: tuple[str, ...]  # markers usable before a noun: "fun croissants"
    openers: tuple[str, ...]  # a short exclamation or phrase that starts a post, without end punctuation
    closers: tuple[str, ...]  # a closing sentence (a call to action), with its punctuation
    emoji: tuple[str, ...]
    hashtag: str  # the tone's own hashtag word, e.g. "FunTimes"
    end: str  # the tone's sentence end, "!" or "."


TONES: dict[str, Tone] = {
    "playful": Tone(
        ("fun", "cheerful", "bouncy", "zippy", "giggly", "yay", "woohoo", "hooray", "whee", "giggles", "grin"),
        ("fun", "cheerful", "bouncy", "zippy", "giggly"),
        ("Yay", "Woohoo", "Hooray", "Whee"),
        ("Come have some fun!", "Giggles guaranteed!", "Bring your biggest grin!", "Hooray for you!"),
        ("🎉", "😄", "🎈"), "FunTimes", "!"),
    "luxurious": Tone(
        ("exquisite", "refined", "elegant", "indulgent", "opulent", "timeless", "indulge", "elegance", "finest", "savour"),
        ("exquisite", "refined", "elegant", "indulgent", "opulent", "timeless"),
        ("Indulge", "Discover true elegance", "Savour the exquisite"),
        ("Indulge yourself.", "Reserve your exquisite moment.", "Experience timeless elegance.", "Because you deserve the finest."),
        ("✨", "🥂"), "Luxe", "."),
    "urgent": Tone(
        ("hurry", "now", "today", "fast", "limited", "quick", "soon", "last", "miss", "instant", "rapid", "wait"),
        ("limited", "fast", "quick", "rapid", "instant"),
        ("Hurry", "Act now", "Don't wait", "Last chance"),
        ("Book today!", "Hurry, it ends soon!", "Grab it now!", "Don't miss out, act fast!"),
        ("⏰", "🔥"), "LastChance", "!"),
    "calm": Tone(
        ("calm", "gentle", "peaceful", "soothing", "quiet", "serene", "breathe", "slow", "relax", "unwind", "pause"),
        ("calm", "gentle", "peaceful", "soothing", "quiet", "serene"),
        ("Slow down", "Breathe easy", "Take a gentle pause"),
        ("Take your time, and relax.", "Breathe in, breathe out.", "Find your quiet moment.", "Unwind with us."),
        ("🌿", "🕊️"), "SlowLiving", "."),
    "witty": Tone(
        ("clever", "cheeky", "sly", "witty", "shameless", "honestly", "frankly", "spoiler", "twist", "admittedly", "kidding"),
        ("clever", "cheeky", "sly", "witty", "shameless"),
        ("Spoiler alert", "Plot twist", "Frankly", "Honestly"),
        ("Resistance is, frankly, futile.", "Admittedly, we're biased.", "No kidding.", "Clever move, honestly."),
        ("😏", "🙃"), "JustSaying", "."),
    "bold": Tone(
        ("bold", "fearless", "fierce", "unstoppable", "powerful", "mighty", "limits", "mould", "dare"),
        ("bold", "fearless", "fierce", "unstoppable", "powerful", "mighty"),
        ("Dare to go bold", "No limits", "Be fearless", "Step up and be mighty"),
        ("Be fearless!", "Go bold or go home!", "Dare to stand out!", "Break the mould!"),
        ("💥", "🚀"), "NoLimits", "!"),
    "warm": Tone(
        ("cosy", "friendly", "welcoming", "heartfelt", "homely", "kind", "welcome", "neighbour", "friend", "love", "hello"),
        ("cosy", "friendly", "welcoming", "heartfelt", "homely", "kind"),
        ("Welcome in", "Hello, neighbour", "Come on in, friend"),
        ("We'd love to see you!", "You're always welcome here!", "Made with love!", "Come say hello!"),
        ("🤗", "❤️"), "MadeWithLove", "!"),
    "professional": Tone(
        ("reliable", "trusted", "trust", "expert", "experts", "expertise", "professional", "dependable", "proven", "rely",
         "consultation"),
        ("reliable", "trusted", "expert", "professional", "dependable", "proven"),
        ("Trusted by many", "Expertise you can rely on", "Proven results"),
        ("Book a consultation.", "Count on our expertise.", "Reliable, every time.", "Trust the experts."),
        ("✅", "📈"), "TrustedExperts", "."),
}

# Couplet endings: each set's phrases end in words that rhyme (the checker reads the set by last word).
# {adj} is filled with one of the tone's adjectives.
RHYME_SETS: dict[str, tuple[str, ...]] = {
    "day": ("to brighten up your day", "in every single way", "so come along and stay", "is here for work and play",
            "is what the neighbours say"),
    "treat": ("a {adj} little treat", "is just across the street", "will make your week complete",
              "is where the good folks meet", "and it can't be beat"),
    "bright": ("from morning until night", "to make your world feel bright", "a {adj} delight",
               "and everything feels right", "a cheering sight"),
    "smile": ("will make you smile", "is worth the extra mile", "so stay a little while", "with flair and style"),
    "best": ("is simply the best", "stands above the rest", "will pass every test", "with a little extra zest",
             "is {adj} and blessed"),
    "care": ("with extra care", "beyond compare", "there's magic in the air", "for everyone to share",
             "we'll meet you there"),
    "shine": ("and everything is fine", "to help your day to shine", "with a {adj} design", "is right on the line"),
    "town": ("is the talk of the town", "will never let you down", "from uptown to downtown", "and wears a happy crown"),
    "glow": ("to give your day a glow", "the place you ought to know", "wherever you may go", "and watch your spirits grow"),
    "cheer": ("to bring a little cheer", "is open all the year", "your favourite place is here", "for everyone near"),
}

SHARED_HASHTAGS: tuple[str, ...] = ("ShopLocal", "SmallBusiness", "SupportLocal", "NewThisWeek")
