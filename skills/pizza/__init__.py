"""Pizza Palace: order a pizza by voice, with Alexa's dialog management taking the order.

``alexafsm serve skills.pizza`` finds the one Policy subclass here.
"""
from skills.pizza.attributes import PizzaAttributes
from skills.pizza.policy import PizzaPolicy
from skills.pizza.states import PizzaStates

__all__ = ['PizzaPolicy', 'PizzaStates', 'PizzaAttributes']
