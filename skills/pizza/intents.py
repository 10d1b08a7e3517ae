"""The skill's own intents (the built-in ones are in ``alexafsm.amazon_intent``)."""

ORDER_PIZZA = 'OrderPizzaIntent'
LIST_TOPPINGS = 'ListToppingsIntent'
RESUME_ORDER = 'ResumeOrderIntent'
