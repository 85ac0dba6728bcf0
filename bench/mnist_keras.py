#!/usr/bin/env python3
"""The Keras twin of examples/mnist_tour.cpp's fit() path, for comparing how
long the code is (README). Not run here: TensorFlow is not packaged for
Debian 12 and cannot be installed on this machine.
"""
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = ((x_train[..., None] / 255.0) - 0.1307) / 0.3081
x_test = ((x_test[..., None] / 255.0) - 0.1307) / 0.3081

mlp = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10),
])

cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.Conv2D(64, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(10),
])

for model, epochs, batch in ((mlp, 5, 64), (cnn, 1, 128)):
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch,
              validation_data=(x_test, y_test))
    print(model.evaluate(x_test, y_test, verbose=0))
